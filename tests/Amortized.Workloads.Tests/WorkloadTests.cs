using Amortized.Kernels.Cpu;
using Amortized.Workloads;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]   // the runner sets the process-wide kernel thread budget

namespace Amortized.Workloads.Tests;

public class WorkloadTests
{
    [Fact]
    public void W1_loss_is_finite_and_decreases_over_a_few_steps()
    {
        var w1 = new FlowWorkload(withDeepSet: false);
        var losses = Enumerable.Range(0, 8).Select(_ => w1.Step()).ToArray();
        Assert.All(losses, l => Assert.True(float.IsFinite(l), $"loss {l}"));
        // A fresh flow is the identity (zero-initialised output layers), so the first loss is the standard normal's
        // NLL of the batch, about D/2 log(2 pi e) = 2.84; Adam then lowers it on the fixed batch.
        Assert.InRange(losses[0], 2.3f, 3.4f);
        Assert.True(losses[^1] < losses[0], $"losses {string.Join(", ", losses)}");
        Assert.Equal("W1", w1.Name);
        // 6 subnets of (3 x 128 + 128) + (128 x 128 + 128) + (128 x 2 + 2); the peers in benchmarks/peers check the same count.
        Assert.Equal(103_692, w1.ParameterCount);
    }

    [Fact]
    public void W1_with_another_width_has_subnets_of_that_width_and_trains()
    {
        // 6 subnets of (3 x 64 + 64) + (64 x 64 + 64) + (64 x 2 + 2), at batch 64.
        var narrow = new FlowWorkload(withDeepSet: false, seed: 1, batch: 64, backend: null, width: 64);
        Assert.Equal(6 * (3 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2), narrow.ParameterCount);
        Assert.Equal(64, narrow.Batch);
        float first = narrow.Step(), last = first;
        for (int i = 0; i < 5; i++) last = narrow.Step();
        Assert.True(last < first, $"loss {first} -> {last}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowWorkload(false, 1, null, null, width: 0));
    }

    [Fact]
    public void W2_step_trains_the_deepset_and_the_flow()
    {
        var w1 = new FlowWorkload(withDeepSet: false);
        var w2 = new FlowWorkload(withDeepSet: true);
        float first = w2.Step(), second = w2.Step();
        Assert.True(float.IsFinite(first) && float.IsFinite(second));
        Assert.Equal(8, w2.Flow.ConditionDim);
        // DeepSet: (2*64 + 64) + (64*64 + 64) + (64*64 + 64) + (64*8 + 8); the flow's first layers read 1 + 8 inputs, not 1 + 2.
        int deepSet = 192 + 4160 + 4160 + 520;
        Assert.Equal(w1.ParameterCount + deepSet + 6 * 6 * 128, w2.ParameterCount);
    }

    [Fact]
    public void Step_breakdown_accumulates_every_phase()
    {
        var w1 = new FlowWorkload(withDeepSet: false);
        var breakdown = new StepBreakdown();
        w1.Step(breakdown);
        w1.Step(breakdown);
        Assert.Equal(2, breakdown.Steps);
        Assert.True(breakdown.ForwardTicks > 0 && breakdown.BackwardTicks > 0 && breakdown.OptimizerTicks > 0);
        Assert.True(breakdown.ForwardMs > 0);
    }

    [Fact]
    public void W3_draws_and_densities_are_finite_and_the_flow_is_not_the_identity()
    {
        var w3 = new SamplingWorkload(draws: 1000);
        Assert.True(float.IsFinite(w3.Sample()));
        float logProb = w3.LogProb();
        Assert.True(float.IsFinite(logProb));
        Assert.Equal((1000, 2), (w3.Conditions.Shape[0], w3.Conditions.Shape[1]));
        // Every output layer was perturbed away from zero, so the first coupling's subnet really outputs something.
        var flow = w3.Flow;
        Assert.Contains(flow.Parameters(), p => p.Name is { } n && n.Contains("output.kernel", StringComparison.Ordinal) && p.Span.ToArray().Any(v => v != 0f));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void W4_products_match_a_double_reference(int index)
    {
        var shape = GemmShape.W4[index];
        (float[] a, float[] b, float[] c, float[] bias, float[] pre) = shape.Allocate();
        shape.Multiply(a, b, c, bias, pre);
        var rng = new Random(index);
        for (int probe = 0; probe < 50; probe++)
        {
            int i = rng.Next(shape.M), j = rng.Next(shape.N);
            double expected = 0;
            for (int k = 0; k < shape.K; k++) expected += (double)a[i * shape.K + k] * b[k * shape.N + j];
            Assert.True(Math.Abs(c[i * shape.N + j] - expected) < 1e-3, $"C[{i},{j}] = {c[i * shape.N + j]}, expected {expected}");
        }
        Assert.Equal(2.0 * shape.M * shape.N * shape.K, shape.Flops);
    }

    [Fact]
    public void W4_shapes_are_those_of_the_workload_definition()
    {
        Assert.Equal([(512, 512, 512), (128, 2048, 128), (2048, 128, 128)], GemmShape.W4.Select(s => (s.M, s.K, s.N)));
        Assert.All(GemmShape.W4, s => Assert.Equal(Transpose.No, s.TransA));
    }
}
