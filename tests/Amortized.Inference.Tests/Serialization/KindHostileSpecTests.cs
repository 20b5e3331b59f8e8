using System.Text.Json.Nodes;
using Amortized.Inference.Serialization;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;
using static Amortized.Inference.Tests.Serialization.KindModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Point and model-comparison files whose spec was edited and resealed: refused before any network is built, naming
/// the file, the field, the declared and the allowed values (as <see cref="HostileSpecTests"/> for continuous files).
/// </summary>
public sealed class KindHostileSpecTests : IDisposable
{
    private const long AllocationBound = 100L << 20;
    private static readonly byte[] s_point = Bytes(path => ApproximatorFile.Save(path, Point()));
    private static readonly byte[] s_classifier = Bytes(path => ApproximatorFile.Save(path, ModelComparison()));
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-kind-hostile-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(byte[] bytes)
    {
        string path = Path.Combine(_dir.FullName, "model.amz");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string RefusedPoint(Action<JsonObject> edit, out string path)
    {
        string file = path = Write(ResealSpec(s_point, edit));
        var (e, allocated) = Refused(() => ApproximatorFile.LoadPoint(file, out _));
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
        return e.Message;
    }

    private string RefusedClassifier(Action<JsonObject> edit, out string path)
    {
        string file = path = Write(ResealSpec(s_classifier, edit));
        var (e, allocated) = Refused(() => ApproximatorFile.LoadModelComparison(file, out _));
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
        return e.Message;
    }

    private static JsonObject Rule(JsonObject spec, int i) => (JsonObject)((JsonArray)spec["rules"]!)[i]!;

    [Fact]
    public void ValidFiles_Load()
    {
        ApproximatorFile.LoadPoint(Write(s_point), out _);
        ApproximatorFile.LoadModelComparison(Write(s_classifier), out _);
    }

    [Fact]
    public void Point_NoRules_Refused()
    {
        string message = RefusedPoint(spec => spec["rules"] = new JsonArray(), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules (its length)' is 0; allowed: 1 to 64 " +
            "(ModelFileLimits.MaxScoringRules).", message);
    }

    [Fact]
    public void Point_QuantileLevelsOutOfOrder_RefusedNamingTheLevel()
    {
        string message = RefusedPoint(spec => Rule(spec, 2)["levels"] = new JsonArray(0.9, 0.1), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules[2].levels[1]' is 0.1; allowed: a level in (0.9, 1), " +
            "above the one before.", message);
    }

    [Fact]
    public void Point_QuantileLevelNaNOrOne_Refused()
    {
        string message = RefusedPoint(spec => Rule(spec, 2)["levels"] = new JsonArray(0.5, 1.0), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules[2].levels[1]' is 1; allowed: a level in (0.5, 1), " +
            "above the one before.", message);
    }

    [Fact]
    public void Point_TooManyQuantileLevels_Refused()
    {
        var levels = new JsonArray();
        for (int i = 1; i <= 2000; i++) levels.Add(i / 2001.0);
        string message = RefusedPoint(spec => Rule(spec, 2)["levels"] = levels, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules[2].levels (its length)' is 2000; allowed: 1 to 1024 " +
            "(ModelFileLimits.MaxQuantileLevels).", message);
    }

    [Fact]
    public void Point_LevelsOnAMeanRule_Refused()
    {
        string message = RefusedPoint(spec => Rule(spec, 0)["levels"] = new JsonArray(0.2, 0.8), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules[0].levels' is a list of 2; allowed: null (only " +
            "quantiles have levels).", message);
    }

    [Fact]
    public void Point_NormalHeadOfHugeDimension_RefusedWithoutIntegerOverflow()
    {
        // D = 65536 is within MaxDimension, but the Gaussian head needs D + D (D + 1) / 2 outputs, past 2^31.
        string message = RefusedPoint(spec => spec["variable_dim"] = 65536, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.rules[3] (its head width for D = 65536)' is 2147581952; " +
            "allowed: 1 to 268435456 (ModelFileLimits.MaxParameters).", message);
    }

    [Fact]
    public void Point_SubnetWidth8192_Refused()
    {
        string message = RefusedPoint(spec => spec["approximator"]!["subnet"]!["widths"] = new JsonArray(8192),
            out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.approximator.subnet.widths[0]' is 8192; allowed: 1 to 4096 " +
            "(ModelFileLimits.MaxWidth).", message);
    }

    [Fact]
    public void Point_SubnetDropoutAboveOne_Refused()
    {
        string message = RefusedPoint(spec => spec["approximator"]!["subnet"]!["dropout"] = 1.5, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.approximator.subnet.dropout' is 1.5; allowed: a rate in " +
            "[0, 1).", message);
    }

    [Fact]
    public void Point_WidthsWithinBoundsButBeyondStoredWeights_RefusedBeforeAllocating()
    {
        string message = RefusedPoint(spec => spec["approximator"]!["subnet"]!["widths"] = new JsonArray(4096, 4096),
            out string path);
        Assert.StartsWith($"Model file '{path}': the spec describes networks with more parameter values than the ",
            message);
    }

    [Fact]
    public void Point_RuleNamesCollide_RefusedAsUnbuildable()
    {
        string message = RefusedPoint(spec => { Rule(spec, 0)["name"] = "x"; Rule(spec, 1)["name"] = "x"; },
            out string path);
        Assert.Equal($"Model file '{path}': the spec cannot be built: PointApproximator: two scoring rules are named " +
            "'x'; names must be unique. (Parameter 'rules').", message);
    }

    [Fact]
    public void ModelComparison_OneModel_Refused()
    {
        string message = RefusedClassifier(spec => { spec["model_count"] = 1; spec.Remove("model_names"); },
            out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.model_count' is 1; allowed: 2 to 4096 " +
            "(ModelFileLimits.MaxModels).", message);
    }

    [Fact]
    public void ModelComparison_HugeModelCount_Refused()
    {
        string message = RefusedClassifier(spec => spec["model_count"] = 1_000_000, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.model_count' is 1000000; allowed: 2 to 4096 " +
            "(ModelFileLimits.MaxModels).", message);
    }

    [Fact]
    public void ModelComparison_NamesOfAnotherCount_Refused()
    {
        string message = RefusedClassifier(spec => spec["model_names"] = new JsonArray("a", "b", "c"), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.model_names (its length)' is 3; allowed: 2 " +
            "(spec.model_count).", message);
    }

    [Fact]
    public void ModelComparison_ClassifierWidth8192_Refused()
    {
        string message = RefusedClassifier(
            spec => spec["approximator"]!["classifier"]!["widths"] = new JsonArray(16, 8192), out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.approximator.classifier.widths[1]' is 8192; allowed: 1 " +
            "to 4096 (ModelFileLimits.MaxWidth).", message);
    }

    [Fact]
    public void ModelComparison_SummaryDimBeyondBounds_RefusedThroughTheSharedSummaryChecks()
    {
        string message = RefusedClassifier(spec => spec["deep_set"]!["summary_dim"] = 100_000, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.deep_set.summary_dim' is 100000; allowed: 1 to 4096 " +
            "(ModelFileLimits.MaxWidth).", message);
    }

    [Fact]
    public void ModelComparison_ModelIndicesKeyNull_Refused()
    {
        string message = RefusedClassifier(spec => spec["approximator"]!["model_indices_key"] = null, out string path);
        Assert.Equal($"Model file '{path}': spec field 'spec.approximator.model_indices_key' is null; allowed: a value " +
            "(the field cannot be left out).", message);
    }
}
