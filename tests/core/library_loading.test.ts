import { libraryCandidates } from "../../ffi/load.ts";
import { libraryInfo } from "../../lib/core/library_info.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("the library loads and reports its version and ABI", () => {
  const info = libraryInfo();
  assertEquals(info.abiVersion, 2);
  assert(/^\d+\.\d+\.\d+$/.test(info.version), info.version);
  assert(info.cuda);
});

Deno.test("DENOTRT_LIB overrides every other candidate", () => {
  const lib = Deno.env.get("DENOTRT_LIB");
  if (lib) assertEquals(libraryCandidates(), [lib]);
  else assert(libraryCandidates().at(-1) === "libdenotrt.so");
});

async function loadInSubprocess(libPath: string): Promise<{ code: number; stderr: string }> {
  const script = `import { libraryInfo } from ${JSON.stringify(new URL("../../lib/core/library_info.ts", import.meta.url).href)};
try { libraryInfo(); console.error("LOADED"); Deno.exit(0); } catch (e) { console.error(e.name + ": " + e.message); Deno.exit(3); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    env: { DENOTRT_LIB: libPath },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("a missing library gives a LibraryError naming the path and how to build it", async () => {
  const r = await loadInSubprocess("/nonexistent/libdenotrt.so");
  assertEquals(r.code, 3, r.stderr);
  assert(r.stderr.includes("LibraryError"), r.stderr);
  assert(r.stderr.includes("/nonexistent/libdenotrt.so"), r.stderr);
  assert(r.stderr.includes("make lib"), r.stderr);
});

Deno.test("a library that is not denotrt's is refused with a LibraryError, not a crash", async () => {
  const r = await loadInSubprocess("libm.so.6");
  assertEquals(r.code, 3, r.stderr);
  assert(r.stderr.includes("LibraryError") && r.stderr.includes("libm.so.6"), r.stderr);
});
