// End to end: load + optimize every fixture, then the optimized graph must
// still match onnxruntime.
import { assert } from "./_assert.ts";
import { assertClose, fixtureNames, hasFixture, loadFixture, NO_FIXTURES } from "./_fixtures.ts";
import { optimize } from "../../lib/builder/optimize.ts";
import { referenceEval } from "../../lib/builder/reference_eval.ts";
import { opCounts } from "../../lib/builder/ir.ts";

const names = NO_FIXTURES ? ["(fixtures missing)"] : fixtureNames();
for (const name of names) {
  Deno.test({
    name: `optimize preserves outputs: ${name}`,
    ignore: NO_FIXTURES,
    fn: async () => {
      const f = await loadFixture(name);
      const rep = optimize(f.graph);
      assert(rep.passes.length >= 9);
      assertClose(referenceEval(f.graph, f.feeds), f.expected, 1e-5, name);
    },
  });
}

Deno.test({
  name: "optimize: residual block collapses to two fused Convs and reports per pass",
  ignore: NO_FIXTURES || !hasFixture("residual_block"),
  fn: async () => {
    const f = await loadFixture("residual_block");
    const rep = optimize(f.graph);
    assert(JSON.stringify(opCounts(f.graph)) === JSON.stringify({ Conv: 2 }), JSON.stringify(opCounts(f.graph)));
    const bn = rep.passes.find((p) => p.pass === "fold_batchnorm")!;
    assert(bn.nodesBefore - bn.nodesAfter === 2 && bn.changed === 2, JSON.stringify(bn));
  },
});
