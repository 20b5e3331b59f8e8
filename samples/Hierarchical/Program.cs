// A hierarchical model simulated level by level: a hyper-mean mu ~ N(0, 1) per data set, G = 8 group means
// theta_g ~ N(mu, 1), and N = 10 observations x_gn ~ N(theta_g, 1) per group. The network learns p(mu | x) from the
// groups read as a set (a DeepSet over groups, each group's N observations its features); the model is conjugate,
// so the program prints the exact posterior beside it.
// Run: dotnet run -c Release [epochs]   (CI passes 2)
int epochs = args.Length > 0 ? int.Parse(args[0]) : 20;
const int groups = 8, perGroup = 10;

var simulator = HierarchicalSimulator.Build(r => r.Set("mu", r.Normal(0, 1)))     // once per data set: ()
    .Level(groups, r => r.Set("theta", r.Normal(r.Get("mu"), 1)))                  // per group: (B, G)
    .Level(perGroup, r => r.Set("x", r.Normal(r.Get("theta"), 1)));                // per observation: (B, G, N)

var adapter = new Adapter()
    .Drop("theta")                                     // group means are integrated out: the posterior of mu only
    .AsSet("x").Rename("x", Keys.SummaryVariables)     // (B, G, N): a set of G groups with N features each
    .Concatenate(["mu"], into: Keys.InferenceVariables);

var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
{
    Summary = SummaryNetworkKind.DeepSet,
    DeepSet = new DeepSetOptions { SummaryDim = 8 },
    Seed = 1,
}, simulator);
workflow.FitOnline(new TrainingOptions { Epochs = epochs, BatchesPerEpoch = 100, Seed = 2 }.WithConsoleProgress());

// One data set from the simulator itself, with its true mu shown.
var data = simulator.Sample(1, seed: 42);
float[] x = data.Get("x");
var draws = workflow.Sample(SimulationBatch.From(("x", x, [groups, perGroup])), numSamples: 2000, seed: 3).Get("mu");
// Group means are N(mu, 1 + 1/N) given mu, so mu | x ~ N(sum_g xbar_g / v / (1 + G / v), 1 / (1 + G / v)).
double v = 1 + 1.0 / perGroup, precision = 1 + groups / v, exact = x.Sum() / perGroup / v / precision;
double mean = draws.Average(d => (double)d), sd = Math.Sqrt(draws.Average(d => (d - mean) * (d - mean)));
Console.WriteLine($"posterior of mu: mean {mean:F3} sd {sd:F3} (exact {exact:F3} sd {Math.Sqrt(1 / precision):F3}; " +
    $"true mu {data.Get("mu")[0]:F3})");

var check = workflow.CheckHeldOut(numDatasets: 200, numSamples: 500);    // SBC, coverage, recovery of mu
Console.WriteLine(string.Join('\n', check.Report.Rows.Select(r => $"{r.Metric,-24} {r.Parameter,-6} {r.Value,8:G3}  {r.Verdict}")));
Console.WriteLine($"report: {workflow.WriteReport("hierarchical-report", new() { Check = check })}");
