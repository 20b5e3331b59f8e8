using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Workflows;
using Xunit;
using static Amortized.Inference.Tests.Serialization.KindModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Point and model-comparison approximators in the model file: the same container, kinds, signing and checks as the
/// continuous one; a loader of one kind given another kind's file says which it holds.
/// </summary>
public sealed class KindModelFileTests : IDisposable
{
    private static readonly ModelFileKey s_key = new("a 32-byte key for the unit tests"u8);
    private static readonly ModelFileKey s_otherKey = new("another key, just as long, 32 B."u8);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-kinds-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static void AssertSameEstimates(PointEstimates expected, PointEstimates actual)
    {
        Assert.Equal(expected.Rules, actual.Rules);
        foreach (string rule in expected.Rules)
        {
            Assert.Equal(expected[rule].Values.Get("theta"), actual[rule].Values.Get("theta"));
            Assert.Equal(expected[rule].Shape, actual[rule].Shape);
            Assert.Equal(expected[rule].Covariance, actual[rule].Covariance);
        }
    }

    [Fact]
    public void Point_SaveLoad_SameEstimatesBitwise_SpecAndMetadataKept()
    {
        var original = Point();
        string path = PathOf("point.amz");
        ApproximatorFile.Save(path, original, new Dictionary<string, string> { ["task"] = "two_moons" });
        var loaded = ApproximatorFile.LoadPoint(path, out var metadata);
        Assert.Equal("two_moons", metadata["task"]);
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        Assert.Equal(new[] { "mean", "median", "quantiles", "mvn" }, loaded.Rules.Select(r => r.Name));
        Assert.Equal(new[] { 0.1f, 0.5f, 0.9f }, ((QuantileScore)loaded.Rules[2]).Levels);
        Assert.True(loaded.Options.LinearBaseline);
        Assert.False(loaded.HasDataInitialization);   // the baseline's fitted weights came back
        var data = TwoMoonsObservations();
        AssertSameEstimates(original.Estimate(data), loaded.Estimate(data));
    }

    [Fact]
    public void ModelComparison_SaveLoad_SameProbabilitiesBitwise_NamesKept()
    {
        var original = ModelComparison();
        string path = PathOf("mc.amz");
        ApproximatorFile.Save(path, original);
        var loaded = ApproximatorFile.LoadModelComparison(path, out _);
        Assert.Equal(2, loaded.ModelCount);
        Assert.Equal("wide", loaded.ModelName(1));
        Assert.NotNull(loaded.SummaryInputStandardizer);
        var data = GaussianObservations();
        float[] expected = original.PredictProbabilities(data);
        Assert.Equal(expected, loaded.PredictProbabilities(data));
        Assert.NotEqual(expected[0], expected[2]);   // the data sets get different probabilities
    }

    [Fact]
    public void LoadAny_AndWorkflowLoad_ReturnEachKind()
    {
        string point = PathOf("p.amz"), classifier = PathOf("c.amz"), continuous = PathOf("n.amz");
        ApproximatorFile.Save(point, Point());
        ApproximatorFile.Save(classifier, ModelComparison());
        ApproximatorFile.Save(continuous, HostileModelFiles.Small());
        Assert.IsType<PointApproximator>(ApproximatorFile.LoadAny(point, out _));
        Assert.IsType<ModelComparisonApproximator>(ApproximatorFile.LoadAny(classifier, out _));
        Assert.IsType<ContinuousApproximator>(ApproximatorFile.LoadAny(continuous, out _));
        Assert.Equal(ApproximatorKind.Point, BasicWorkflow.Load(point).Kind);
        Assert.Equal(ApproximatorKind.ModelComparison, BasicWorkflow.Load(classifier).Kind);
        var workflow = BasicWorkflow.Load(continuous);
        Assert.Equal(ApproximatorKind.Continuous, workflow.Kind);
        Assert.NotNull(workflow.Approximator);
    }

    [Fact]
    public void ContinuousLoader_GivenPointFile_SaysWhatItHolds()
    {
        string path = PathOf("point.amz");
        ApproximatorFile.Save(path, Point());
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Equal($"Model file '{path}': it holds a point approximator (point estimates) (manifest kind " +
            "\"point_approximator\"), not a continuous approximator (posterior or likelihood); load it with " +
            "ApproximatorFile.LoadPoint (or with ApproximatorFile.LoadAny or BasicWorkflow.Load, which load every " +
            "kind).", e.Message);
        var m = Assert.Throws<InvalidDataException>(() => ApproximatorFile.LoadModelComparison(path, out _));
        Assert.Contains("not a model-comparison approximator (model probabilities)", m.Message);
    }

    [Fact]
    public void PointLoader_GivenContinuousFile_SaysWhatItHolds()
    {
        string path = PathOf("n.amz");
        ApproximatorFile.Save(path, HostileModelFiles.Small());
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.LoadPoint(path, out _));
        Assert.Equal($"Model file '{path}': it holds a continuous approximator (posterior or likelihood) (manifest " +
            "kind \"continuous_approximator\"), not a point approximator (point estimates); load it with " +
            "ApproximatorFile.Load (or with ApproximatorFile.LoadAny or BasicWorkflow.Load, which load every kind).",
            e.Message);
    }

    [Fact]
    public void Signed_LoadsWithTheKey_RefusedUnderAnother()
    {
        string point = PathOf("p.amz"), classifier = PathOf("c.amz");
        var original = Point();
        ApproximatorFile.Save(point, original, key: s_key);
        ApproximatorFile.Save(classifier, ModelComparison(), key: s_key);
        var data = TwoMoonsObservations();
        AssertSameEstimates(original.Estimate(data), ApproximatorFile.LoadPoint(point, out _, s_key).Estimate(data));
        ApproximatorFile.LoadModelComparison(classifier, out _, s_key);
        foreach (string path in new[] { point, classifier })
        {
            var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.LoadAny(path, out _, s_otherKey));
            Assert.Contains("its HMAC does not match the key", e.Message);
        }
    }

    [Fact]
    public void Save_ApproximatorNotBuiltFromSpec_RefusedNamingTheBuilder()
    {
        var point = new PointApproximator(TwoMoonsAdapter(), 2, 2, [new MeanScore()], null, new Networks.ParameterStore(),
            new Tensors.Rng(1));
        var e = Assert.Throws<InvalidOperationException>(() => ApproximatorFile.Save(PathOf("x.amz"), point));
        Assert.Contains("use PointApproximator.Build or BasicWorkflow", e.Message);
        Assert.False(File.Exists(PathOf("x.amz")));
    }

    [Fact]
    public void Manifest_HoldsKindAndReadableSpec()
    {
        byte[] bytes = Bytes(path => ApproximatorFile.Save(path, Point()));
        var header = ModelFileTestFiles.Split(bytes).Header;
        var manifest = JsonNode.Parse((string)header["__metadata__"]!["manifest"]!)!;
        Assert.Equal("point_approximator", (string)manifest["kind"]!);
        var rules = (JsonArray)manifest["spec"]!["rules"]!;
        Assert.Equal("Quantiles", (string)rules[2]!["kind"]!);
        Assert.Equal(3, ((JsonArray)rules[2]!["levels"]!).Count);
        Assert.Equal(2, (int)manifest["spec"]!["variable_dim"]!);
    }
}
