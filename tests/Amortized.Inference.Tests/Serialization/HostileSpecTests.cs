using System.Text.Json.Nodes;
using System.Text.Json;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Model files whose spec was edited and whose checksum was recomputed (anyone can: it is plain SHA-256). Loading
/// must refuse them before building any network, naming the file, the field and the declared and allowed values,
/// and allocate far less than the networks they declare.
/// </summary>
public sealed class HostileSpecTests : IDisposable
{
    /// <summary>What a refused load may allocate: the file's own size many times over, far below the networks.</summary>
    private const long AllocationBound = 100L << 20;

    private static readonly byte[] s_valid = SmallBytes();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-hostile-spec-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(byte[] bytes)
    {
        string path = Path.Combine(_dir.FullName, "model.amz");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Load_ValidFile_Loads()
    {
        var loaded = ApproximatorFile.Load(Write(s_valid));
        Assert.Equal(Small().Store.Values.ToArray(), loaded.Store.Values.ToArray());
    }

    [Fact]
    public void Load_SubnetWidths8192Resealed_RefusedNamingFieldBeforeBuilding()
    {
        // The issue's file: widths of 8192 make twelve 8192 x 8192 subnet kernels, gigabytes, from a small file.
        string path = Write(ResealSpec(s_valid, spec =>
        {
            Flow(spec)["subnet_widths"] = new JsonArray(8192, 8192);
            Flow(spec)["depth"] = 6;
        }));
        (InvalidDataException e, long allocated) = Refused(() => ApproximatorFile.Load(path));
        Assert.Equal($"Model file '{path}': spec field 'spec.coupling_flow.subnet_widths[0]' is 8192; allowed: " +
            "1 to 4096 (ModelFileLimits.MaxWidth).", e.Message);
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Load_SpecWithinBoundsButBeyondStoredWeights_RefusedBeforeAllocatingTheNetworks()
    {
        // Widths of 4096 pass the bounds; twelve 4096 x 4096 kernels would be 800 MB of values and as much of
        // gradients. The store refuses the first parameter beyond the 1k values the file stores.
        string path = Write(ResealSpec(s_valid, spec =>
        {
            Flow(spec)["subnet_widths"] = new JsonArray(4096, 4096);
            Flow(spec)["depth"] = 6;
        }));
        (InvalidDataException e, long allocated) = Refused(() => ApproximatorFile.Load(path));
        long stored = ModelFile.Read(path).Tensors.Where(t => t.Key.StartsWith("param/", StringComparison.Ordinal))
            .Sum(t => t.Value.Values.LongLength);
        Assert.StartsWith($"Model file '{path}': the spec describes networks with more parameter values than the " +
            $"{stored} the file stores in its 'param/' tensors (parameter '", e.Message);
        Assert.IsType<Networks.ParameterLimitException>(e.InnerException);
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Load_SpecSmallerThanStoredWeights_RefusedNamingTheMismatch()
    {
        string path = Write(ResealSpec(s_valid, spec => Flow(spec)["subnet_widths"] = new JsonArray(4)));
        (InvalidDataException e, _) = Refused(() => ApproximatorFile.Load(path));
        Assert.StartsWith($"Model file '{path}': ParameterStore: parameter '", e.Message);
        Assert.True(e.Message.Contains("(12 values) but 24 values were given", StringComparison.Ordinal), e.Message);
    }

    private static readonly Dictionary<string, (Action<JsonObject> Edit, string Field, string Declared, string Allowed)>
        s_bounds = new()
        {
            ["depth"] = (s => Flow(s)["depth"] = 100_000, "spec.coupling_flow.depth", "100000",
                "1 to 64 (ModelFileLimits.MaxLayers)"),
            ["number of hidden layers"] = (s => Flow(s)["subnet_widths"] = new JsonArray([.. Enumerable.Range(0, 65).Select(_ => (JsonNode?)8)]),
                "spec.coupling_flow.subnet_widths (its length)", "65", "0 to 64 (ModelFileLimits.MaxLayers)"),
            ["zero width"] = (s => Flow(s)["subnet_widths"] = new JsonArray(8, 0), "spec.coupling_flow.subnet_widths[1]",
                "0", "1 to 4096 (ModelFileLimits.MaxWidth)"),
            ["negative width"] = (s => Flow(s)["subnet_widths"] = new JsonArray(-8), "spec.coupling_flow.subnet_widths[0]",
                "-8", "1 to 4096 (ModelFileLimits.MaxWidth)"),
            ["spline bins"] = (s =>
            {
                Flow(s)["transform"] = "Spline";
                Flow(s)["spline"] = new JsonObject { ["bins"] = 1_000_000 };
            }, "spec.coupling_flow.spline.bins", "1000000", "1 to 1024 (ModelFileLimits.MaxBins)"),
            ["variable dim"] = (s => s["variable_dim"] = 400_000_000, "spec.variable_dim", "400000000",
                "1 to 65536 (ModelFileLimits.MaxDimension)"),
            ["condition dim"] = (s => s["condition_dim"] = -1, "spec.condition_dim", "-1",
                "0 to 65536 (ModelFileLimits.MaxDimension)"),
            ["sample chunk rows"] = (s => s["approximator"]!["sample_chunk_rows"] = 2_000_000_000,
                "spec.approximator.sample_chunk_rows", "2000000000", "1 to 1048576 (ModelFileLimits.MaxSampleChunkRows)"),
            ["summary network width"] = (s =>
            {
                s["summary"] = "DeepSet";
                s["summary_input_dim"] = 2;
                s["deep_set"] = new JsonObject { ["summary_dim"] = 1 << 20 };
            }, "spec.deep_set.summary_dim", "1048576", "1 to 4096 (ModelFileLimits.MaxWidth)"),
            ["attention heads"] = (With(s => s with
            {
                Summary = SummaryNetworkKind.SetTransformer,
                SummaryInputDim = 2,
                SetTransformer = new SetTransformerOptions { NumHeads = [4, 100_000] },
            }), "spec.set_transformer.num_heads[1]", "100000", "1 to 256 (ModelFileLimits.MaxHeads)"),
            ["kernel size"] = (With(s => s with
            {
                Summary = SummaryNetworkKind.TimeSeries,
                SummaryInputDim = 2,
                TimeSeries = new TimeSeriesNetworkOptions { KernelSizes = [3, 1 << 30] },
            }), "spec.time_series.kernel_sizes[1]", "1073741824", "1 to 1024 (ModelFileLimits.MaxKernelSize)"),
            ["ode steps"] = (With(s => s with
            {
                Inference = InferenceNetworkKind.FlowMatching,
                FlowMatching = new FlowMatchingOptions { Steps = int.MaxValue },
            }), "spec.flow_matching.steps", "2147483647", "1 to 100000 (ModelFileLimits.MaxOdeSteps)"),
            ["unknown network kind"] = (s => s["inference"] = 7, "spec.inference", "7",
                $"one of {string.Join(", ", Enum.GetNames<InferenceNetworkKind>())}"),
        };

    public static TheoryData<string> Bounds => [.. s_bounds.Keys];

    /// <summary>An edit that replaces the whole spec with a changed copy of the valid one (a partial options
    /// object in JSON would leave its other lists null).</summary>
    private static Action<JsonObject> With(Func<ApproximatorSpec, ApproximatorSpec> change) => target =>
    {
        JsonObject changed = JsonSerializer.SerializeToNode(change(Small().Spec!),
            SpecJsonContext.Default.ApproximatorSpec)!.AsObject();
        target.Clear();
        foreach (string key in changed.Select(p => p.Key).ToList())
        {
            JsonNode? value = changed[key];
            changed.Remove(key);
            target[key] = value;
        }
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Load_SpecFieldOutOfBounds_RefusedNamingFileFieldDeclaredAndAllowed(string name)
    {
        (Action<JsonObject> edit, string field, string declared, string allowed) = s_bounds[name];
        string path = Write(ResealSpec(s_valid, edit));
        (InvalidDataException e, long allocated) = Refused(() => ApproximatorFile.Load(path));
        Assert.Equal($"Model file '{path}': spec field '{field}' is {declared}; allowed: {allowed}.", e.Message);
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Load_CustomLimits_AreTheOnesApplied()
    {
        string path = Write(s_valid);
        var e = Assert.Throws<InvalidDataException>(() =>
            ApproximatorFile.Load(path, out _, key: null, ModelFileLimits.Default with { MaxWidth = 4 }));
        Assert.Contains("'spec.coupling_flow.subnet_widths[0]' is 8; allowed: 1 to 4 (ModelFileLimits.MaxWidth)",
            e.Message);
        e = Assert.Throws<InvalidDataException>(() =>
            ApproximatorFile.Load(path, out _, key: null, ModelFileLimits.Default with { MaxParameters = 10 }));
        Assert.Contains("parameter values; allowed: at most 10 (ModelFileLimits.MaxParameters)", e.Message);
        ApproximatorFile.Load(path, out _, key: null, ModelFileLimits.Default with { MaxWidth = 8 });
    }

    [Fact]
    public void Read_MoreTensorsThanTheLimit_RefusedNamingTheLimit()
    {
        string path = Write(ModelFileTestFiles.SampleBytes());
        var e = Assert.Throws<InvalidDataException>(() =>
            ModelFile.Read(path, limits: ModelFileLimits.Default with { MaxTensors = 3 }));
        Assert.Equal($"Model file '{path}': the header lists more than 3 tensors; allowed: at most 3 " +
            "(ModelFileLimits.MaxTensors).", e.Message);
        Assert.Equal(6, ModelFile.Read(path).Tensors.Count);
    }

    [Fact]
    public void Read_NonSeekableStreamClaimingAHugeHeader_AllocatesAboutWhatItHolds()
    {
        // 99 MB of header claimed, 1 KB present: reading in steps costs one step (1 MiB), not the claim.
        byte[] file = ModelFileTestFiles.Assemble(new byte[1024], [], lengthField: 99_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() =>
            ModelFile.Read(new NonSeekableStream(file), sourceName: "pipe"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("Model file 'pipe': the header should be 99000000 bytes, but the stream ends after 1024; the " +
            "file is truncated (an interrupted copy or download?).", e.Message);
        Assert.True(allocated < 4L << 20, $"allocated {allocated} bytes");
    }
}
