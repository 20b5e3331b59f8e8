// The README's "training step by hand": a small MLP fitted to y = sin(3x) with the tape, the workspace and Adam,
// no inference layers. Run: dotnet run -c Release
using Amortized.Networks;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

// 256 points of y = sin(3x) on [-1, 1], shaped (256, 1).
float[] xs = [.. Enumerable.Range(0, 256).Select(i => -1f + 2f * i / 255f)];
Tensor x = Tensor.FromArray(xs, 256, 1);
Tensor y = Tensor.FromArray([.. xs.Select(v => MathF.Sin(3 * v))], 256, 1);

#region readme

var store = new ParameterStore();
var net = new Mlp(store, "mlp", inFeatures: 1, new MlpOptions { Widths = [64, 64], OutputDim = 1 }, new Rng(seed: 1));
var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.WarmupCosine(1e-2f, 50, 3000) });
var workspace = new Workspace();   // activations and gradients live here; reset every step
var tape = new Tape();

for (int step = 0; step < 3000; step++)
{
    workspace.Reset();
    store.ZeroGrad();
    using (workspace.Activate())
    using (tape.Record())
    {
        Tensor loss = (net.Forward(x) - y).Square().Mean();
        tape.Backward(loss);
    }
    adam.Update();   // throws, leaving the parameters untouched, if the gradient is NaN/Inf
}
#endregion

float[] fitted = net.Forward(x).ToArray();
double mse = fitted.Select((f, i) => (double)(f - MathF.Sin(3 * xs[i])) * (f - MathF.Sin(3 * xs[i]))).Average();
Console.WriteLine($"mean squared error after 3000 steps: {mse:E2} (the target's variance is about 0.5)");
