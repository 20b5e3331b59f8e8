using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Tensors.Tests;

/// <summary>The per-step arena: a steady-state forward and backward allocates no managed memory.</summary>
public class WorkspaceTests
{
    private static readonly int[] s_gatherIndices = [2, 0, 2];

    private sealed class Model
    {
        public readonly Tensor X, W, B, Gamma, Beta;

        public Model()
        {
            var rng = new Rng(TestSeeds.Default);
            X = TestTensors.Uniform(rng, -1f, 1f, 8, 6);
            W = Parameter(TestTensors.Uniform(rng, -0.5f, 0.5f, 6, 5));
            B = Parameter(TestTensors.Uniform(rng, -0.1f, 0.1f, 5));
            Gamma = Parameter(TestTensors.Uniform(rng, 0.9f, 1.1f, 5));
            Beta = Parameter(TestTensors.Uniform(rng, -0.1f, 0.1f, 5));
        }

        /// <summary>A parameter whose gradient lives on the heap (as a parameter store's would).</summary>
        private static Tensor Parameter(Tensor t)
        {
            t.RequiresGrad = true;
            t.Grad = Tensor.Zeros(t.Shape);
            return t;
        }

        public void ZeroGrad()
        {
            W.Grad!.Span.Clear();
            B.Grad!.Span.Clear();
            Gamma.Grad!.Span.Clear();
            Beta.Grad!.Span.Clear();
        }
    }

    /// <summary>One training step over a mix of ops; no lambdas, no LINQ, nothing captured.</summary>
    private static float Step(Model m, Workspace ws, Tape tape)
    {
        m.ZeroGrad();
        ws.Reset();
        float lossValue;
        using (ws.Activate())
        using (tape.Record())
        {
            var h = Tensor.Linear(m.X, m.W, m.B, Activation.Tanh);                 // (8, 5)
            var n = h.LayerNorm(m.Gamma, m.Beta);                                  // (8, 5)
            var p = n.Softmax(-1);                                                 // (8, 5)
            var g = Tensor.Concat(p, h.IndexSelect(1, s_gatherIndices), 1);        // (8, 8)
            var z = g.MatMul(g, transposeThis: true).Reshape(new Shape(64)).Slice(0, 10, 40); // (40,)
            var loss = z.LogSumExp(0) + (h * h - h.Exp() / 4f).Mean() + n.Max(0).Sum();
            tape.Backward(loss);
            lossValue = loss.Item();
        }
        return lossValue;
    }

    [Fact]
    public void Step_AfterWarmUp_AllocatesZeroBytes()
    {
        var model = new Model();
        var ws = new Workspace();
        var tape = new Tape();
        float first = Step(model, ws, tape);
        float last = 0;
        long allocated = Allocations.SteadyStateBytes(() => last = Step(model, ws, tape));

        Assert.Equal(0, allocated);
        Assert.Equal(first, last);                                                  // same inputs, same result
        Assert.NotEqual(0f, model.W.Grad!.Span[0]);                                  // the step did compute gradients
    }

    [Fact]
    public void Reset_RepeatedSteps_ReusesTheSameMemory()
    {
        var model = new Model();
        var ws = new Workspace();
        var tape = new Tape();
        Step(model, ws, tape);
        long capacity = ws.Capacity, inUse = ws.FloatsInUse;

        Step(model, ws, tape);

        Assert.Equal(capacity, ws.Capacity);
        Assert.Equal(inUse, ws.FloatsInUse);
        Assert.True(inUse > 0);
    }

    [Fact]
    public void Activate_Scope_RestoresPreviousWorkspace()
    {
        var outer = new Workspace();
        var inner = new Workspace();

        using (outer.Activate())
        {
            using (inner.Activate()) Assert.Same(inner, Workspace.Current);
            Assert.Same(outer, Workspace.Current);
        }
        Assert.Null(Workspace.Current);
    }
}
