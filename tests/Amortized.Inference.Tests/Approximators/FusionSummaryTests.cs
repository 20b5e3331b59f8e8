using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>
/// Multimodal and hierarchical data end to end: a fusion summary (a DeepSet over a set and a time-series network over
/// a series) trained on data where one modality carries the mean and the other the scale, and a hierarchical normal
/// model simulated level by level; both are checked against their analytic posteriors, and the fusion model survives
/// a save and load.
/// </summary>
public sealed class FusionSummaryTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-fusion-");

    public void Dispose() => _dir.Delete(recursive: true);

    private const int SetSize = 10, Steps = 12;
    private const double ScalePriorSd = 0.5;

    /// <summary>
    /// m ~ N(0, 1) and u ~ N(0, 0.5^2); the set holds 10 draws of N(m, 1) (it informs m only) and the series 12
    /// draws of N(0, e^(2u)) (it informs u only).
    /// </summary>
    private static Simulator TwoModalities() => Simulator.Build()
        .Prior(r =>
        {
            r.Set("m", [r.Normal(0, 1)]);
            r.Set("u", [r.Normal(0, (float)ScalePriorSd)]);
        })
        .Likelihood(r =>
        {
            float m = r.Get("m"), s = MathF.Exp(r.Get("u"));
            var set = new float[SetSize];
            var series = new float[Steps];
            for (int i = 0; i < SetSize; i++) set[i] = r.Normal(m, 1);
            for (int t = 0; t < Steps; t++) series[t] = r.Normal(0, s);
            r.Set("x_set", set);
            r.Set("x_ts", series);
        });

    /// <summary>E[m | set] = sum x / (n + 1), conjugate.</summary>
    private static double MeanPosteriorMean(ReadOnlySpan<float> set)
    {
        double sum = 0;
        foreach (float v in set) sum += v;
        return sum / (set.Length + 1);
    }

    /// <summary>E[u | series] by quadrature on a fine grid (prior N(0, 0.25), likelihood prod N(y_t; 0, e^(2u))).</summary>
    private static double ScalePosteriorMean(ReadOnlySpan<float> series)
    {
        double ss = 0;
        foreach (float y in series) ss += (double)y * y;
        double best = double.NegativeInfinity;
        var logs = new double[6001];
        for (int i = 0; i < logs.Length; i++)
        {
            double u = -3 + i * 0.001;
            logs[i] = -u * u / (2 * ScalePriorSd * ScalePriorSd) - series.Length * u - ss / (2 * Math.Exp(2 * u));
            best = Math.Max(best, logs[i]);
        }
        double mass = 0, first = 0;
        for (int i = 0; i < logs.Length; i++)
        {
            double w = Math.Exp(logs[i] - best);
            mass += w;
            first += w * (-3 + i * 0.001);
        }
        return first / mass;
    }

    private static Adapter FusionAdapter() => new Adapter()
        .AsSet("x_set").AsTimeSeries("x_ts")
        .Group(["x_set", "x_ts"], Keys.SummaryVariables)
        .Concatenate(["m", "u"], Keys.InferenceVariables);

    private static ApproximatorSpec FusionSpec() => new()
    {
        Summary = SummaryNetworkKind.Fusion,
        Fusion = new FusionSummarySpec
        {
            Members =
            [
                new FusionMemberSpec
                {
                    Name = "x_set", Kind = SummaryNetworkKind.DeepSet,
                    DeepSet = new DeepSetOptions
                    {
                        SummaryDim = 4, Depth = 1, EquivariantWidths = [16], InvariantInnerWidths = [16],
                        InvariantOuterWidths = [16], InvariantLastWidths = [16], Dropout = 0f,
                    },
                },
                new FusionMemberSpec
                {
                    Name = "x_ts", Kind = SummaryNetworkKind.TimeSeries,
                    TimeSeries = new TimeSeriesNetworkOptions
                    {
                        SummaryDim = 4, Filters = [8], KernelSizes = [3], RecurrentDim = 8, Dropout = 0f,
                    },
                },
            ],
            Head = new FusionNetworkOptions { SummaryDim = 6, HeadWidths = [16] },
        },
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
        Seed = 11,
    };

    private static double Rmse(IEnumerable<(double Got, double Expected)> pairs) =>
        Math.Sqrt(pairs.Average(p => (p.Got - p.Expected) * (p.Got - p.Expected)));

    [Fact]
    public void Fusion_RecoversBothModalitiesPosteriorMeans_AndSavesAndLoads()
    {
        var simulator = TwoModalities();
        var workflow = new BasicWorkflow(FusionAdapter(), FusionSpec(), simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 10, BatchesPerEpoch = 50, BatchSize = 64, LearningRate = 2e-3f, Seed = 12 });
        var summary = Assert.IsType<FusionNetwork>(workflow.Approximator!.SummaryNetwork);
        Assert.Equal(["x_set", "x_ts"], summary.MemberNames);
        Assert.Equal([1, 1], workflow.Approximator.Spec!.Fusion!.Members.Select(m => m.InputDim));

        const int sets = 40, draws = 300;
        var test = simulator.Sample(sets, seed: 13);
        var observed = new SimulationBatch(sets).Set("x_set", test.Get("x_set"), sets, SetSize)
            .Set("x_ts", test.Get("x_ts"), sets, Steps);
        var samples = workflow.Sample(observed, draws, seed: 14);
        float[] m = samples.Get("m"), u = samples.Get("u");
        var meanPairs = new List<(double, double)>();
        var scalePairs = new List<(double, double)>();
        for (int d = 0; d < sets; d++)
        {
            meanPairs.Add((m.AsSpan(d * draws, draws).ToArray().Average(), MeanPosteriorMean(test.Row("x_set", d))));
            scalePairs.Add((u.AsSpan(d * draws, draws).ToArray().Average(), ScalePosteriorMean(test.Row("x_ts", d))));
        }
        double meanRmse = Rmse(meanPairs), scaleRmse = Rmse(scalePairs);
        // The prior mean (0) as the estimate: what a summary blind to a modality is left with.
        double meanBlind = Rmse(meanPairs.Select(p => (0.0, p.Item2))), scaleBlind = Rmse(scalePairs.Select(p => (0.0, p.Item2)));
        output.WriteLine($"E[m|x] RMSE {meanRmse:F3} (blind {meanBlind:F3}); E[u|x] RMSE {scaleRmse:F3} (blind {scaleBlind:F3})");
        // Posterior sds are 0.30 (m) and about 0.19 (u); the Monte Carlo error of 300 draws is under 0.02.
        Assert.True(meanRmse < 0.15, $"E[m | set]: RMSE {meanRmse:F3} against the conjugate posterior mean");
        Assert.True(scaleRmse < 0.12, $"E[u | series]: RMSE {scaleRmse:F3} against the quadrature posterior mean");
        Assert.True(meanRmse < 0.25 * meanBlind && scaleRmse < 0.4 * scaleBlind,
            $"each modality must inform its parameter: {meanRmse:F3} vs {meanBlind:F3}, {scaleRmse:F3} vs {scaleBlind:F3}");

        string path = Path.Combine(_dir.FullName, "fusion.safetensors");
        workflow.Save(path);
        var loaded = ApproximatorFile.Load(path);
        Assert.Equal(SummaryNetworkKind.Fusion, loaded.Spec!.Summary);
        Assert.Equal(["x_set", "x_ts"], Assert.IsType<FusionNetwork>(loaded.SummaryNetwork).MemberNames);
        var few = observed.Slice(0, 3);
        Assert.Equal(workflow.Sample(few, 50, seed: 15).Get("m"), loaded.Sample(few, 50, seed: 15).Get("m"));
        var rows = test.Slice(0, 5);
        Assert.Equal(workflow.LogProb(rows), loaded.LogProb(rows));
    }

    [Fact]
    public void Fusion_SpecAndAdapterMismatches_FailNamingTheMember()
    {
        var probe = TwoModalities().Sample(4, seed: 1);
        var spec = FusionSpec();
        var wrongName = spec with
        {
            Fusion = spec.Fusion! with { Members = [spec.Fusion.Members[0], spec.Fusion.Members[1] with { Name = "series" }] },
        };
        var e = Assert.Throws<ArgumentException>(() => ContinuousApproximator.Build(wrongName, FusionAdapter(), probe));
        Assert.Contains("'series'", e.Message);
        Assert.Contains("summary_variables/series", e.Message);
        var oneMember = spec with { Fusion = spec.Fusion! with { Members = [spec.Fusion.Members[0]] } };
        var unread = Assert.Throws<ArgumentException>(() => ContinuousApproximator.Build(oneMember, FusionAdapter(), probe));
        Assert.Contains("x_ts", unread.Message);
        var notFusion = Assert.Throws<ArgumentException>(() =>
            ContinuousApproximator.Build(spec with { Summary = SummaryNetworkKind.DeepSet }, FusionAdapter(), probe));
        Assert.Contains("only a Fusion summary network reads a group", notFusion.Message);
        var built = ContinuousApproximator.Build(spec, FusionAdapter(), probe);
        Assert.Equal(2, built.Spec!.SummaryInputDim);
        var missing = Assert.Throws<KeyNotFoundException>(() =>
            built.Sample(new SimulationBatch(1).Set("x_set", new float[SetSize], 1, SetSize), 5, seed: 1));
        Assert.Contains("'summary_variables/x_ts'", missing.Message);
    }

    [Fact]
    public void Fusion_EditedSpecInAModelFile_IsRefusedNamingTheMemberField()
    {
        var approximator = ContinuousApproximator.Build(FusionSpec(), FusionAdapter(), TwoModalities().Sample(4, seed: 1));
        string path = Path.Combine(_dir.FullName, "valid.safetensors");
        ApproximatorFile.Save(path, approximator);
        byte[] valid = File.ReadAllBytes(path);
        string Edited(Action<System.Text.Json.Nodes.JsonObject> edit)
        {
            string edited = Path.Combine(_dir.FullName, "edited.safetensors");
            File.WriteAllBytes(edited, Serialization.HostileModelFiles.ResealSpec(valid, edit));
            return edited;
        }
        System.Text.Json.Nodes.JsonObject Member(System.Text.Json.Nodes.JsonObject spec, int i) =>
            (System.Text.Json.Nodes.JsonObject)spec["fusion"]!["members"]![i]!;

        var wide = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(Edited(s => Member(s, 1)["input_dim"] = 1 << 30)));
        Assert.Contains("'spec.fusion.members[1].input_dim' is 1073741824", wide.Message);
        var nested = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(Edited(s => Member(s, 0)["kind"] = "Fusion")));
        Assert.Contains("'spec.fusion.members[0].kind' is Fusion", nested.Message);
        var summary = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(Edited(s => Member(s, 1)["time_series"]!["summary_dim"] = 0)));
        Assert.Contains("'spec.fusion.members[1].time_series.summary_dim' is 0", summary.Message);
        var head = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(Edited(s => s["fusion"]!["head"]!["head_widths"] = new System.Text.Json.Nodes.JsonArray(0))));
        Assert.Contains("'spec.fusion.head.head_widths[0]' is 0", head.Message);
        Assert.Equal(approximator.Store.Values.ToArray(), ApproximatorFile.Load(path).Store.Values.ToArray());
    }

    private const int Groups = 4, PerGroup = 5;

    /// <summary>mu ~ N(0, 1); theta_g ~ N(mu, 1) for 4 groups; x_gn ~ N(theta_g, 1), 5 per group.</summary>
    private static HierarchicalSimulator NormalHierarchy() =>
        HierarchicalSimulator.Build(r => r.Set("mu", r.Normal(0, 1)))
            .Level(Groups, r => r.Set("theta", r.Normal(r.Get("mu"), 1)))
            .Level(PerGroup, r => r.Set("x", r.Normal(r.Get("theta"), 1)));

    [Fact]
    public void Hierarchical_RecoversTheHyperMeansConjugatePosterior()
    {
        var simulator = NormalHierarchy();
        // x (B, G, N) is a set of G groups, each with its N observations as features; theta is integrated out.
        var adapter = new Adapter().Drop("theta").AsSet("x").Rename("x", Keys.SummaryVariables)
            .Concatenate(["mu"], Keys.InferenceVariables);
        var spec = new ApproximatorSpec
        {
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions
            {
                SummaryDim = 4, Depth = 1, EquivariantWidths = [16], InvariantInnerWidths = [16],
                InvariantOuterWidths = [16], InvariantLastWidths = [16], Dropout = 0f,
            },
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
            Seed = 21,
        };
        var workflow = new BasicWorkflow(adapter, spec, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 12, BatchesPerEpoch = 50, BatchSize = 64, LearningRate = 2e-3f, Seed = 22 });

        const int sets = 40, draws = 300;
        var test = simulator.Sample(sets, seed: 23);
        var samples = workflow.Sample(new SimulationBatch(sets).Set("x", test.Get("x"), sets, Groups, PerGroup), draws, seed: 24);
        float[] mu = samples.Get("mu");
        // Group means are N(mu, 1 + 1/5) given mu, so mu | x ~ N((sum_g xbar_g / 1.2) / (1 + G / 1.2), 1 / (1 + G / 1.2)).
        const double v = 1 + 1.0 / PerGroup, precision = 1 + Groups / v;
        var pairs = new List<(double, double)>();
        double sdSum = 0;
        for (int d = 0; d < sets; d++)
        {
            double sum = 0;
            foreach (float x in test.Row("x", d)) sum += x;
            double analytic = sum / PerGroup / v / precision;
            var own = mu.AsSpan(d * draws, draws).ToArray();
            double mean = own.Average();
            sdSum += Math.Sqrt(own.Sum(t => (t - mean) * (t - mean)) / (draws - 1));
            pairs.Add((mean, analytic));
        }
        double rmse = Rmse(pairs), sd = sdSum / sets, blind = Rmse(pairs.Select(p => (0.0, p.Item2)));
        output.WriteLine($"E[mu|x] RMSE {rmse:F3} (blind {blind:F3}); mean posterior sd {sd:F3} (analytic {Math.Sqrt(1 / precision):F3})");
        // The posterior sd is 0.48; 300 draws estimate a mean to 0.03.
        Assert.True(rmse < 0.12, $"E[mu | x]: RMSE {rmse:F3} against the conjugate posterior mean");
        Assert.InRange(sd, 0.8 * Math.Sqrt(1 / precision), 1.2 * Math.Sqrt(1 / precision));
    }
}
