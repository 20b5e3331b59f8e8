using System.Text.Json.Nodes;
using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Native.Tests;

/// <summary>
/// The C ABI under hostile calls: absurd or overflowing observation shapes, stale handles, edited model files and
/// keyed signing. Every bad input gets its status code and a message naming the argument, with nothing allocated in
/// proportion to a declared size.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private const long AllocationBound = 100L << 20;

    private static readonly byte[] s_key = "a 32-byte key for the unit tests"u8.ToArray();
    private static TestModels Models => TestModels.Instance;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-native-hostile-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    // ---- model files of another kind ----

    [Fact]
    public void Load_PointEstimatorModelFile_IsFormatErrorSayingWhatItHolds()
    {
        // A point estimator has no density to sample: the C library serves posterior and likelihood models only.
        var workflow = new Inference.Workflows.BasicWorkflow(
            new Inference.Adapters.Adapter().Concatenate(["theta"], Inference.Adapters.Keys.InferenceVariables)
                .Concatenate(["x"], Inference.Adapters.Keys.InferenceConditions),
            new Inference.Approximators.PointApproximatorSpec { Seed = 1 }, new Inference.Tasks.TwoMoons());
        workflow.FitOnline(new Inference.Workflows.TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 16, Seed = 2 });
        string path = Path.Combine(_dir.FullName, "point.amz");
        workflow.Save(path);

        Assert.Equal(Api.Format, Api.Load(path, out nint model));
        Assert.Equal(0, model);
        string message = Api.LastError();
        Assert.Contains(path, message);
        Assert.Contains("it holds a point approximator (point estimates)", message);
        Assert.Contains("not a continuous approximator (posterior or likelihood)", message);
    }

    // ---- observation shapes ----

    [Theory]
    // The case: 400M floats allocated 4.6 GB before the error.
    [InlineData("{\"x\": [400000000], \"n\": [], \"observed\": [100]}", "key 'x' has the shape (400000000)")]
    // Products that overflow int and long returned AMZ_ERR_INTERNAL.
    [InlineData("{\"x\": [100000, 100000], \"n\": [], \"observed\": [100]}", "key 'x' has the shape (100000, 100000)")]
    [InlineData("{\"x\": [2147483647, 2147483647, 2147483647, 2147483647], \"n\": [], \"observed\": [100]}",
        "key 'x' has the shape (2147483647, 2147483647, 2147483647, 2147483647)")]
    // Each key within the bound, the data set beyond it.
    [InlineData("{\"x\": [1048576], \"n\": [], \"observed\": [100]}", "key 'n' has the shape ()")]
    public void LoadWithShapes_TooLargeOrOverflowingShape_IsInvalidArgumentBeforeAllocating(string shapes,
        string expected)
    {
        int rc = 0;
        nint model = -1;
        long allocated = Allocated(() => rc = Api.LoadWithShapes(Models.SetModel, shapes, out model));
        string message = Api.LastError();
        Assert.Equal(Api.InvalidArgument, rc);
        Assert.Equal(0, model);
        Assert.StartsWith("observation_shapes_json: observation shapes: ", message);
        Assert.Contains(expected, message);
        Assert.EndsWith($"allowed: at most {ObservationShapes.DefaultMaxElements} floats per data set.", message);
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
    }

    [Fact]
    public void LoadWithShapes_NonIntegerDimension_IsInvalidArgument()
    {
        Assert.Equal(Api.InvalidArgument,
            Api.LoadWithShapes(Models.SetModel, "{\"x\": [1e12], \"n\": [], \"observed\": [100]}", out _));
        Assert.Contains("key 'x' has the dimension 1e12; expected a positive integer", Api.LastError());
    }

    // ---- handles ----

    [Fact]
    public void Free_StaleHandleAfterItsSlotWasReused_IsRefusedAndTheLiveModelSurvives()
    {
        nint first = Api.LoadOrThrow(Models.VectorModel);
        Assert.Equal(Api.Ok, Api.Free(first));
        // Loads until one reuses the freed slot (other tests may take it meanwhile): same slot, new generation.
        var loaded = new List<nint>();
        try
        {
            nint reused = 0;
            for (int i = 0; i < 64 && reused == 0; i++)
            {
                nint m = Api.LoadOrThrow(Models.VectorModel);
                loaded.Add(m);
                if ((m & uint.MaxValue) == (first & uint.MaxValue)) reused = m;
            }
            Assert.NotEqual(0, reused);
            Assert.NotEqual(first, reused);

            Assert.Equal(Api.InvalidHandle, Api.Free(first));
            Assert.Contains($"amortized_free: the handle 0x{(long)first:x} does not refer to a loaded model",
                Api.LastError());
            Assert.Equal(Api.InvalidHandle, Api.ParameterDim(first, out _));
            Assert.Equal(Api.InvalidHandle, Api.Sample(first, TestModels.VectorObservations(1), 1, 1, 0, new float[3]));

            Assert.Equal(Api.Ok, Api.ParameterDim(reused, out long dim));
            Assert.Equal(TestModels.VectorParameterDim, dim);
        }
        finally
        {
            foreach (nint m in loaded) Assert.Equal(Api.Ok, Api.Free(m));
        }
        Assert.Equal(Api.InvalidHandle, Api.Free(loaded[^1]));   // a plain double free
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(0x7fff_ffff_0000_0001L)]
    [InlineData(-1L)]
    [InlineData(0x1234_5678L)]
    public void AnyCall_HandleNeverReturnedByLoad_IsInvalidHandle(long handle)
    {
        Assert.Equal(Api.InvalidHandle, Api.ParameterDim((nint)handle, out _));
        Assert.Equal(Api.InvalidHandle, Api.Free((nint)handle));
        Assert.Contains("does not refer to a loaded model", Api.LastError());
    }

    // ---- model files ----

    /// <summary>The vector model with its spec edited and the file rewritten through the public API, which
    /// recomputes the checksum: what anyone can do to a model file.</summary>
    private string Resealed(Action<JsonObject> editSpec, string name)
    {
        ModelFileContents contents = ModelFile.Read(Models.VectorModel);
        var manifest = (JsonObject)JsonNode.Parse(contents.ManifestJson)!;
        editSpec((JsonObject)manifest["spec"]!);
        string path = Path.Combine(_dir.FullName, name);
        ModelFile.Write(path, manifest.ToJsonString(), contents.Tensors);
        return path;
    }

    [Fact]
    public void Load_SpecEditedToHugeWidthsAndResealed_IsFormatErrorWithoutBuildingTheNetworks()
    {
        // The file made libamortized.so allocate 11 GB.
        string wide = Resealed(spec => spec["coupling_flow"]!["subnet_widths"] = new JsonArray(8192, 8192), "wide.amz");
        int rc = 0;
        long allocated = Allocated(() => rc = Api.Load(wide, out _));
        Assert.Equal(Api.Format, rc);
        Assert.Contains($"Model file '{wide}': spec field 'spec.coupling_flow.subnet_widths[0]' is 8192; allowed: " +
            "1 to 4096 (ModelFileLimits.MaxWidth).", Api.LastError());
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");

        string beyond = Resealed(spec => spec["coupling_flow"]!["subnet_widths"] = new JsonArray(4096, 4096),
            "beyond.amz");
        allocated = Allocated(() => rc = Api.Load(beyond, out _));
        Assert.Equal(Api.Format, rc);
        Assert.Contains("the spec describes networks with more parameter values than the", Api.LastError());
        Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
    }

    [Fact]
    public void LoadSigned_SignedWithTheKey_LoadsAndSamplesAsTheUnsignedFile()
    {
        string signed = Path.Combine(_dir.FullName, "signed.amz");
        var approximator = ApproximatorFile.Load(Models.VectorModel, out var metadata);
        ApproximatorFile.Save(signed, approximator, metadata, new ModelFileKey(s_key));

        Assert.Equal(Api.Ok, Api.LoadSigned(signed, null, s_key, out nint model));
        nint plain = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            float[] obs = TestModels.VectorObservations(2);
            float[] a = new float[2 * 5 * TestModels.VectorParameterDim], b = new float[a.Length];
            Assert.Equal(Api.Ok, Api.Sample(model, obs, 2, 5, 11, a));
            Assert.Equal(Api.Ok, Api.Sample(plain, obs, 2, 5, 11, b));
            Assert.Equal(b, a);
        }
        finally
        {
            Api.Free(model);
            Api.Free(plain);
        }
    }

    [Fact]
    public void LoadSigned_UnsignedWrongKeyOrBadKeyArguments_AreRefused()
    {
        Assert.Equal(Api.Format, Api.LoadSigned(Models.VectorModel, null, s_key, out nint model));
        Assert.Equal(0, model);
        Assert.Contains("it is not signed", Api.LastError());

        string signed = Path.Combine(_dir.FullName, "other-key.amz");
        ApproximatorFile.Save(signed, ApproximatorFile.Load(Models.VectorModel), key:
            new ModelFileKey("another key, just as long, 32 B."u8));
        Assert.Equal(Api.Format, Api.LoadSigned(signed, null, s_key, out _));
        Assert.Contains("its HMAC does not match the key", Api.LastError());

        Assert.Equal(Api.NullArgument, Api.LoadSigned(signed, null, null, out _));
        Assert.Equal("amortized_load_signed: key is NULL.", Api.LastError());
        Assert.Equal(Api.InvalidArgument, Api.LoadSigned(signed, null, s_key, out _, keyLength: 3));
        Assert.Equal("amortized_load_signed: key_len is 3; allowed: 16 to 4096 bytes.", Api.LastError());
        // A huge key_len is refused before the key is read.
        Assert.Equal(Api.InvalidArgument, Api.LoadSigned(signed, null, s_key, out _, keyLength: long.MaxValue));
    }
}
