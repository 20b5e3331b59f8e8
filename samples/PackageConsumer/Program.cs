// A stranger's first program against the Amortized.Inference package: a Gaussian mean model, mu ~ N(0, 1) and
// x_1..x_10 ~ N(mu, 1), whose exact posterior is N(sum(x) / 11, 1 / 11). Trains a small coupling flow offline on
// 4000 simulations, samples the posterior for one observation and checks the draws against the exact answer.
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;

const int n = 10;
var simulator = Simulator.Build()
    .Prior(r => r.Set("mu", [r.Normal(0, 1)]))
    .Likelihood(r => r.Set("x", Enumerable.Range(0, n).Select(_ => r.Normal(r.Get("mu"), 1)).ToArray()));
var adapter = new Adapter().Concatenate(["mu"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
var workflow = new BasicWorkflow(adapter,
    new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32] } }, simulator);
var history = workflow.FitOffline(simulator.Sample(4000, seed: 1), new TrainingOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-3f, Seed = 2 });

float[] x = [1.2f, 0.8f, 1.1f, 0.9f, 1.0f, 1.3f, 0.7f, 1.0f, 1.1f, 0.9f];
var observed = new SimulationBatch(1).Set("x", x, 1, n);
float[] draws = workflow.Sample(observed, 2000, seed: 3).Get("mu");
double mean = draws.Average(d => (double)d), sd = Math.Sqrt(draws.Average(d => (d - mean) * (d - mean)));
double exactMean = x.Sum() / (n + 1.0), exactSd = Math.Sqrt(1.0 / (n + 1));
bool ok = Math.Abs(mean - exactMean) < 0.3 && sd > 0.5 * exactSd && sd < 2 * exactSd;
Console.WriteLine($"{history.Epochs.Count} epochs; posterior mean {mean:F3} (exact {exactMean:F3}), sd {sd:F3} (exact {exactSd:F3}): {(ok ? "ok" : "WRONG")}");
return ok ? 0 : 1;
