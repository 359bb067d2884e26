/**
 * out/webview/toolkit.js: the @vscode/webview-ui-toolkit components the contact tree and the
 * chat use, registered on their own, after their first paint (webview/shared/lateToolkit.ts).
 *
 * Evaluating the toolkit (FAST's element definitions, design tokens, the theme observer) was
 * most of the contacts bundle's ~30-40 ms start (docs/benchmarks.md, "Contact tree first
 * paint"); importing it lazily in the same bundle did not help, because esbuild's IIFE still
 * evaluates it up front. A second bundle loaded after the first paint does. The tree's rows
 * are plain elements; only the welcome's "Add account" and the error bar's "Retry" are
 * toolkit buttons, and they look right before the upgrade (media/contacts.css, :not(:defined)).
 */
// Must come first: lets the toolkit's feature detection pass the CSP (see cspNonce.ts). This
// script carries the page's nonce too (lateToolkit.ts gives it), so currentScript.nonce is it.
import '../shared/cspNonce';
import { provideVSCodeDesignSystem, vsCodeButton } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton());
