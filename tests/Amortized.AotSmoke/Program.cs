// Native AOT smoke test, published and run by .ci/run: exercises GEMM, the tape and an Adam training loop
// through the library projects, and exits non-zero if a result is wrong.
using Amortized.Kernels.Cpu;
using Amortized.Networks;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
bool gemmOk = c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50;

var store = new ParameterStore();
var rng = new Rng(42);
var net = new Mlp(store, "mlp", 1, new MlpOptions { Widths = [32, 32], OutputDim = 1 }, rng);
var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(3e-3f) });
var workspace = new Workspace();
var tape = new Tape();
var x = Tensor.Zeros(64, 1);
var y = Tensor.Zeros(64, 1);
for (int i = 0; i < 64; i++)
{
    x.Span[i] = -1f + 2f * i / 63f;
    y.Span[i] = MathF.Sin(3f * x.Span[i]);
}
float first = 0, last = 0;
for (int step = 0; step < 300; step++)
{
    workspace.Reset();
    store.ZeroGrad();
    using (workspace.Activate())
    using (tape.Record())
    {
        var loss = (net.Forward(x) - y).Square().Mean();
        tape.Backward(loss);
        last = loss.Item();
        if (step == 0) first = last;
    }
    adam.Update();
}
bool trainOk = last < 0.5f * first;

// The inference layer under AOT: simulate two_moons, adapt, train a small flow briefly, sample, and round-trip
// the adapter and the spec through their (reflection-free) JSON.
var task = new Amortized.Inference.Tasks.TwoMoons();
var adapter = new Amortized.Inference.Adapters.Adapter()
    .Concatenate(["theta"], Amortized.Inference.Adapters.Keys.InferenceVariables)
    .Concatenate(["x"], Amortized.Inference.Adapters.Keys.InferenceConditions);
var workflow = new Amortized.Inference.Workflows.BasicWorkflow(adapter, new Amortized.Inference.Approximators.ApproximatorSpec
{
    CouplingFlow = new Amortized.Networks.Flows.CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16] },
}, task);
var history = workflow.FitOnline(new Amortized.Inference.Workflows.TrainingOptions { Epochs = 2, BatchesPerEpoch = 20, BatchSize = 32, Seed = 1 });
var observation = new Amortized.Inference.Simulators.SimulationBatch(1).Set("x", [0f, 0f], 1, 2);
var draws = workflow.Sample(observation, 100, seed: 2).Get("theta");
bool inferenceOk = history.Epochs.Count == 2 && draws.Length == 200 && draws.All(float.IsFinite)
    && Amortized.Inference.Adapters.Adapter.FromJson(adapter.ToJson()).ToJson() == adapter.ToJson();
Console.WriteLine($"AOT smoke: gemm {(gemmOk ? "ok" : "WRONG")}, mlp loss {first:G4} -> {last:G4} {(trainOk ? "ok" : "WRONG")}, " +
    $"workflow {(inferenceOk ? "ok" : "WRONG")}, " +
    $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}");
return gemmOk && trainOk && inferenceOk ? 0 : 1;
