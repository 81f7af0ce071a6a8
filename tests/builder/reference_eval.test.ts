// The reference interpreter against onnxruntime on every fixture with outputs.

import { assertClose, fixtureNames, loadFixture, NO_FIXTURES } from "./_fixtures.ts";
import { referenceEval } from "../../lib/builder/reference_eval.ts";

const names = NO_FIXTURES ? ["(fixtures missing)"] : fixtureNames();
for (const name of names) {
  Deno.test({
    name: `reference_eval matches onnxruntime: ${name}`,
    ignore: NO_FIXTURES,
    fn: async () => {
      const f = await loadFixture(name);
      assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, name);
    },
  });
}
