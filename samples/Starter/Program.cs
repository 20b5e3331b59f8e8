// BayesFlow's starter in C#: x_1..x_n ~ N(mu, sigma^2) with n ~ U{10..100} per batch, sigma^2 ~ InvGamma(3, 2) and
// mu ~ N(0, sigma^2); as_set/standardize/sqrt adapter, DeepSet summary, online training, diagnostics and figures.
bool quick = args.Contains("--quick") || Environment.GetEnvironmentVariable("AMORTIZED_QUICK") == "1";

var simulator = Simulator.Build()
    .Context(r => r.Set("n", r.Integer(10, 101)))
    .Prior(r =>
    {
        float sigma = MathF.Sqrt(r.Draw(new InverseGamma(3, 2)));
        r.Set("sigma", sigma).Set("mu", r.Normal(0, sigma));
    })
    .Likelihood(r => r.Set("x", [.. Enumerable.Range(0, r.GetInt("n")).Select(_ => r.Normal(r.Get("mu"), r.Get("sigma")))]));

var adapter = new Adapter()
    .AsSet("x")
    .Standardize("x", mean: 0, std: 1.5)
    .Sqrt("n")
    .Constrain("sigma", lower: 0)
    .Concatenate(["mu", "sigma"], into: Keys.InferenceVariables)
    .Concatenate(["n"], into: Keys.InferenceConditions)
    .Concatenate(["x"], into: Keys.SummaryVariables);

var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
{
    Summary = SummaryNetworkKind.DeepSet,
    DeepSet = new DeepSetOptions { SummaryDim = 8 },
}, simulator);
workflow.FitOnline(new TrainingOptions { Epochs = quick ? 3 : 40, BatchesPerEpoch = quick ? 30 : 100, Seed = 1 }.WithConsoleProgress());

float[] x = [.. Enumerable.Range(0, 40).Select(i => 0.8f + 0.5f * MathF.Sin(i))];
var draws = workflow.Sample(new Dictionary<string, float[]> { ["x"] = x, ["n"] = [x.Length] }, numSamples: 2000, seed: 2);
double sum = x.Sum(), squares = x.Sum(v => v * v), b = 2 + 0.5 * (squares - sum * sum / (x.Length + 1));
Console.WriteLine($"posterior mean of mu:      {draws.Get("mu").Average():F3} (exact {sum / (x.Length + 1):F3})");
Console.WriteLine($"posterior mean of sigma^2: {draws.Get("sigma").Average(s => s * s):F3} (exact {b / (3 + x.Length / 2.0 - 1):F3})");

var check = workflow.CheckHeldOut(numDatasets: quick ? 50 : 300, numSamples: quick ? 200 : 1000);   // SBC, recovery, ...
Console.WriteLine(string.Join('\n', check.Report.Rows.Select(r => $"{r.Metric,-24} {r.Parameter,-6} {r.Value,8:G3}  {r.Verdict}")));
Console.WriteLine($"report: {workflow.WriteReport("starter-report", new() { Check = check })}");   // HTML, figures, metrics.json
