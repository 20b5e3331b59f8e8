// The README's GPU snippet as a program: a two_moons posterior trained and sampled on a device.
// Run: dotnet run -c Release -- [cuda | cuda:1 | opencl | cpu] [batches]   (CI: cpu 2, ILGPU's CPU emulator)
using Amortized.Gpu;
using Amortized.Inference.Approximators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;

string device = args.Length > 0 ? args[0] : "cuda";
int batches = args.Length > 1 ? int.Parse(args[1]) : 200;
var task = new TwoMoons();
var adapter = task.DefaultAdapter();
var spec = TrainingDefaults.Spec(seed: 1, simulations: 10_000);
var probe = task.Sample(4, seed: 0);
var options = new TrainingOptions { Epochs = 1, BatchesPerEpoch = batches, BatchSize = 256, Seed = 2 };
var observed = task.Sample(1, seed: 3);
observed.Remove(task.ParameterKey);

#region readme
using var gpu = GpuBackend.Create(device);             // "cuda", "cuda:1", "opencl", "cpu"; GpuBackend.ListDevices()
var approximator = ContinuousApproximator.Build(spec, adapter, probe);
approximator.Store.MoveTo(gpu);                        // parameters and gradients to device memory
new Trainer(approximator, options).FitOnline(task);    // batches uploaded once per step; Adam on the device
var draws = approximator.Sample(observed, 1000, seed: 1);
#endregion

Console.WriteLine($"{draws.Get(task.ParameterKey).Length / task.ParameterDim} draws of {task.ParameterKey} on {device}");
