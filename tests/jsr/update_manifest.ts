/** Rewrites ffi/shim_sources.ts from the files under c_shim/ (run after adding or removing a shim source). */
import { MANIFEST_PATH, manifestText, repoRoot, shimSourcesInTree } from "./_tree.ts";

const files = shimSourcesInTree();
Deno.writeTextFileSync(`${repoRoot()}/${MANIFEST_PATH}`, manifestText(files));
console.log(`${MANIFEST_PATH}: ${files.length} files`);
