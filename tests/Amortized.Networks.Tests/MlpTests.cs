using Amortized.Kernels.Cpu;
using Amortized.Networks;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests;

public class MlpTests
{
    /// <summary>Everything one regression training step needs, built once so steps can be measured.</summary>
    private sealed class SineRegression
    {
        public readonly ParameterStore Store = new();
        public readonly Mlp Net;
        public readonly Adam Optimizer;
        public readonly Workspace Workspace = new();
        public readonly Tape Tape = new();
        public readonly Tensor X, Y;

        public SineRegression(int batch, int seed)
        {
            var rng = new Rng((ulong)seed);
            Net = new Mlp(Store, "mlp", 1, new MlpOptions { Widths = [64, 64], Activation = Activation.Tanh, KernelInitializer = Initializer.GlorotUniform, OutputDim = 1 }, rng);
            Optimizer = new Adam(Store, new AdamOptions { LearningRate = LearningRateSchedule.WarmupCosine(1e-2f, 50, 3000, 1e-4f) });
            X = Tensor.Zeros(batch, 1);
            Y = Tensor.Zeros(batch, 1);
            for (int i = 0; i < batch; i++)
            {
                float x = -1f + 2f * i / (batch - 1);
                X.Span[i] = x;
                Y.Span[i] = MathF.Sin(3f * x);
            }
        }

        public float Step()
        {
            Workspace.Reset();
            Store.ZeroGrad();
            float loss;
            using (Workspace.Activate())
            using (Tape.Record())
            {
                var err = Net.Forward(X) - Y;
                var l = err.Square().Mean();
                Tape.Backward(l);
                loss = l.Item();
            }
            Optimizer.Update();
            return loss;
        }
    }

    [Fact]
    public void Fit_SinThreeX_ReachesMseBelow1e3()
    {
        var problem = new SineRegression(batch: 128, seed: 20230828);
        float first = problem.Step(), loss = first;
        for (int step = 1; step < 3000; step++) loss = problem.Step();
        Assert.True(loss < 1e-3f, $"final MSE {loss} (first {first})");
    }

    [Fact]
    public void TrainingStep_SteadyState_AllocatesZeroBytes()
    {
        var problem = new SineRegression(batch: 64, seed: 7);
        Assert.Equal(0, Amortized.Testing.Allocations.SteadyStateBytes(() => problem.Step()));
    }

    [Fact]
    public void Forward_WrongInputWidth_NamesLayerAndShape()
    {
        var store = new ParameterStore();
        var net = new Mlp(store, "net", 3, new MlpOptions { Widths = [4] }, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(2, 5)));
        Assert.Contains("net.dense0", ex.Message);
        Assert.Contains("(2, 5)", ex.Message);
    }

    [Fact]
    public void Mlp_ResidualLayerNormDropout_BuildsTreeAndRuns()
    {
        var store = new ParameterStore();
        var rng = new Rng(3);
        var net = new Mlp(store, "net", 8, new MlpOptions { Widths = [8, 8], Residual = true, LayerNorm = true, Dropout = 0.5f, OutputDim = 2, ZeroOutput = true }, rng);
        Assert.Equal(net.ParameterCount, store.Parameters.Sum(p => p.Size));
        Assert.Contains("residual", net.ToString());
        var x = Tensor.RandomNormal(new Shape(4, 8), rng);
        var y = net.Forward(x, rng);
        Assert.Equal(new Shape(4, 2), y.Shape);
        Assert.All(y.ToArray(), v => Assert.Equal(0f, v));   // zero-initialised output layer
        // Dropout is random in training mode and absent in evaluation mode.
        net.Training = false;
        var hidden = new Mlp(new ParameterStore(), "h", 8, new MlpOptions { Widths = [16], Dropout = 0.5f }, new Rng(4));
        var a = hidden.Forward(x, new Rng(5)).ToArray();
        hidden.Training = false;
        var b = hidden.Forward(x, new Rng(5)).ToArray();
        var c = hidden.Forward(x, new Rng(6)).ToArray();
        Assert.Equal(b, c);
        Assert.NotEqual(a, b);
    }
}
