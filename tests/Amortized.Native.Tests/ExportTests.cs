using System.Text.Json;
using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Native.Tests;

/// <summary>The export layer in-process (under the JIT): results equal the managed API's, and bad input gives codes and messages.</summary>
public sealed class ExportTests
{
    private static TestModels Models => TestModels.Instance;

    // ---- loading ----

    [Fact]
    public void Load_VectorModel_ReportsLayoutsTracedFromTheAdapter()
    {
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            Assert.Equal(Api.Ok, Api.ObservationSize(model, out long size));
            Assert.Equal(TestModels.VectorObservationSize, size);
            Assert.Equal(Api.Ok, Api.ParameterDim(model, out long dim));
            Assert.Equal(TestModels.VectorParameterDim, dim);
            Assert.Equal("", Api.LastError());

            using var info = JsonDocument.Parse(Api.InfoJson(model));
            JsonElement root = info.RootElement;
            Assert.Equal(1, root.GetProperty("abi_version").GetInt32());
            Assert.Equal(ModelFile.LibraryVersion, root.GetProperty("library_version").GetString());
            Assert.Equal("adapter", root.GetProperty("observation_shapes_source").GetString());
            Assert.Equal(["x", "y"], Strings(root.GetProperty("observations"), "key"));
            Assert.Equal([0, 3], Ints(root.GetProperty("observations"), "offset"));
            Assert.Equal([3], root.GetProperty("observations")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Empty(root.GetProperty("observations")[1].GetProperty("shape").EnumerateArray());
            Assert.Equal(["theta", "sigma"], Strings(root.GetProperty("parameters"), "key"));
            Assert.Equal(["theta[0]", "theta[1]", "sigma"], root.GetProperty("parameter_names").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(3, root.GetProperty("parameter_dim").GetInt32());
            JsonElement spec = root.GetProperty("spec");
            Assert.Equal("CouplingFlow", spec.GetProperty("inference").GetString());
            Assert.Equal(3, spec.GetProperty("variable_dim").GetInt32());
            Assert.Equal(4, spec.GetProperty("condition_dim").GetInt32());
            Assert.Equal(2, spec.GetProperty("coupling_flow").GetProperty("depth").GetInt32());
        }
        finally
        {
            Assert.Equal(Api.Ok, Api.Free(model));
        }
    }

    [Fact]
    public void Load_SetModelWithoutShapes_IsFormatErrorThatSaysHowToFixIt()
    {
        Assert.Equal(Api.Format, Api.Load(Models.SetModel, out nint model));
        Assert.Equal(0, model);
        string message = Api.LastError();
        Assert.Contains("'x' (?,)", message);
        Assert.Contains("'observed' (?,)", message);
        Assert.Contains(ObservationShapes.MetadataKey, message);
        Assert.Contains("amortized_load_with_shapes", message);
    }

    [Fact]
    public void Load_SetModelWithMetadataOrArgument_UsesThatLayoutAndMatchesManagedSample()
    {
        nint fromMetadata = Api.LoadOrThrow(Models.SetModelWithShapes);
        nint fromArgument = Api.LoadOrThrow(Models.SetModel, TestModels.SetShapes);
        try
        {
            Assert.Equal("metadata", Source(fromMetadata));
            Assert.Equal("argument", Source(fromArgument));
            Assert.Equal(Api.Ok, Api.ObservationSize(fromArgument, out long size));
            Assert.Equal(2 * TestModels.SetSize + 1, size);

            // Two data sets: 30 and 55 observed elements, zero padding after them.
            const int b = 2, s = 16;
            var flat = new float[b * size];
            var x = new float[b * TestModels.SetSize];
            var observed = new float[b * TestModels.SetSize];
            var n = new float[b];
            int[] counts = [30, 55];
            for (int i = 0; i < b; i++)
            {
                n[i] = counts[i];
                for (int j = 0; j < counts[i]; j++)
                {
                    x[i * TestModels.SetSize + j] = 0.7f + MathF.Cos(j + 3 * i);
                    observed[i * TestModels.SetSize + j] = 1;
                }
                // Flat order x (100), n (), observed (100), as in SetShapes.
                Array.Copy(x, i * TestModels.SetSize, flat, i * size, TestModels.SetSize);
                flat[i * size + TestModels.SetSize] = n[i];
                Array.Copy(observed, i * TestModels.SetSize, flat, i * size + TestModels.SetSize + 1, TestModels.SetSize);
            }
            var batch = new Inference.Simulators.SimulationBatch(b)
                .Set("x", x, b, TestModels.SetSize).Set("n", n, b).Set("observed", observed, b, TestModels.SetSize);
            float[] expected = ApproximatorFile.Load(Models.SetModel).Sample(batch, s, 5).Get("mu");

            foreach (nint model in (nint[])[fromMetadata, fromArgument])
            {
                var draws = new float[b * s];
                Assert.Equal(Api.Ok, Api.Sample(model, flat, b, s, 5, draws));
                Assert.Equal(expected, draws);
            }
        }
        finally
        {
            Api.Free(fromMetadata);
            Api.Free(fromArgument);
        }
    }

    [Theory]
    [InlineData("{\"x\": [100], \"n\": []", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"x\": [100], \"n\": [], \"observed\": [0]}", "dimensions must be positive")]
    [InlineData("{\"x\": [100], \"n\": []}", "missing: observed")]
    [InlineData("{\"x\": [100], \"n\": [], \"observed\": [100], \"z\": [2]}", "not read by the model: z")]
    [InlineData("{\"x\": [50, 2], \"n\": [], \"observed\": [100]}", "does not fit the model")]
    public void LoadWithShapes_BadLayout_IsInvalidArgument(string shapes, string expectedMessage)
    {
        Assert.Equal(Api.InvalidArgument, Api.LoadWithShapes(Models.SetModel, shapes, out nint model));
        Assert.Equal(0, model);
        Assert.Contains(expectedMessage, Api.LastError());
    }

    [Fact]
    public void Load_MissingFile_IsIoErrorNamingTheFile()
    {
        Assert.Equal(Api.Io, Api.Load(Models.MissingModel, out nint model));
        Assert.Equal(0, model);
        Assert.Contains("missing.amz", Api.LastError());
    }

    [Fact]
    public void Load_Directory_IsIoError()
    {
        Assert.Equal(Api.Io, Api.Load(Models.Root, out _));
        Assert.NotEmpty(Api.LastError());
    }

    [Fact]
    public void Load_CorruptTruncatedOrForeignFile_IsFormatError()
    {
        Assert.Equal(Api.Format, Api.Load(Models.CorruptModel, out nint model));
        Assert.Equal(0, model);
        Assert.Contains("checksum", Api.LastError());
        Assert.Equal(Api.Format, Api.Load(Models.TruncatedModel, out _));
        Assert.Contains("truncated.amz", Api.LastError());
        Assert.Equal(Api.Format, Api.Load(Models.NotAModel, out _));
        Assert.Contains("not-a-model.txt", Api.LastError());
    }

    [Fact]
    public void Load_NullOrEmptyArguments_AreRejected()
    {
        Assert.Equal(Api.NullArgument, Api.Load(null, out nint model));
        Assert.Equal(0, model);
        Assert.Contains("path is NULL", Api.LastError());
        Assert.Equal(Api.NullArgument, Api.LoadNullOut(Models.VectorModel));
        Assert.Contains("out_model is NULL", Api.LastError());
        Assert.Equal(Api.InvalidArgument, Api.Load("", out _));
        Assert.Contains("empty", Api.LastError());
    }

    // ---- results equal the managed API ----

    [Fact]
    public void Sample_EqualsManagedSampleBitExactly()
    {
        const int b = 3, s = 50;
        const ulong seed = 12345;
        float[] obs = TestModels.VectorObservations(b);
        float[] expected = TestModels.FlattenVectorDraws(ApproximatorFile.Load(Models.VectorModel).Sample(TestModels.VectorBatch(obs), s, seed), b, s);

        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            var draws = new float[b * s * TestModels.VectorParameterDim];
            Assert.Equal(Api.Ok, Api.Sample(model, obs, b, s, seed, draws));
            Assert.Equal(expected, draws);
            Assert.All(draws.Where((_, i) => i % 3 == 2), sigma => Assert.True(sigma > 0));   // the constraint's inverse ran

            var again = new float[draws.Length];
            Assert.Equal(Api.Ok, Api.Sample(model, obs, b, s, seed, again));
            Assert.Equal(draws, again);
            Assert.Equal(Api.Ok, Api.Sample(model, obs, b, s, seed + 1, again));
            Assert.NotEqual(draws, again);
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void LogProb_EqualsManagedLogProbBitExactly()
    {
        const int b = 4;
        float[] obs = TestModels.VectorObservations(b), theta = TestModels.VectorParameters(b);
        float[] expected = ApproximatorFile.Load(Models.VectorModel).LogProb(TestModels.VectorLogProbBatch(obs, theta));

        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            var logq = new float[b];
            Assert.Equal(Api.Ok, Api.LogProb(model, obs, theta, b, logq));
            Assert.Equal(expected, logq);
            Assert.All(logq, v => Assert.True(float.IsFinite(v)));
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void Sample_ConcurrentCallsOnOneModel_EqualSequentialCalls()
    {
        const int b = 2, s = 40, threads = 6, callsPerThread = 4;
        float[] obs = TestModels.VectorObservations(b);
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            var sequential = new float[threads * callsPerThread][];
            for (int i = 0; i < sequential.Length; i++)
            {
                sequential[i] = new float[b * s * 3];
                Assert.Equal(Api.Ok, Api.Sample(model, obs, b, s, (ulong)i, sequential[i]));
            }
            var concurrent = new float[sequential.Length][];
            var codes = new int[sequential.Length];
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (int c = 0; c < callsPerThread; c++)
                {
                    int i = c * threads + t;
                    concurrent[i] = new float[b * s * 3];
                    codes[i] = Api.Sample(model, obs, b, s, (ulong)i, concurrent[i]);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.All(codes, c => Assert.Equal(Api.Ok, c));
            for (int i = 0; i < sequential.Length; i++) Assert.Equal(sequential[i], concurrent[i]);
        }
        finally
        {
            Api.Free(model);
        }
    }

    // ---- bad input ----

    [Fact]
    public void Sample_BadArguments_ReturnCodesWithMessagesAndLeaveOutputUntouched()
    {
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            float[] obs = TestModels.VectorObservations(2);
            var draws = new float[2 * 5 * 3];
            Array.Fill(draws, 42f);

            Assert.Equal(Api.InvalidHandle, Api.Sample(0, obs, 2, 5, 1, draws));
            Assert.Contains("handle is NULL", Api.LastError());
            Assert.Equal(Api.InvalidArgument, Api.Sample(model, obs, 0, 5, 1, draws));
            Assert.Contains("num_datasets is 0", Api.LastError());
            Assert.Equal(Api.InvalidArgument, Api.Sample(model, obs, 2, -3, 1, draws));
            Assert.Contains("num_samples is -3", Api.LastError());
            Assert.Equal(Api.InvalidArgument, Api.Sample(model, obs, 2, 1L << 40, 1, draws));
            Assert.Equal(Api.NullArgument, Api.Sample(model, null, 2, 5, 1, draws, observationsCount: 8));
            Assert.Contains("observations is NULL", Api.LastError());
            Assert.Equal(Api.NullArgument, Api.Sample(model, obs, 2, 5, 1, null, outCapacity: 30));
            Assert.Contains("out_draws is NULL", Api.LastError());

            Assert.Equal(Api.Shape, Api.Sample(model, obs, 3, 5, 1, draws));
            Assert.Equal("amortized_sample: observations holds 8 floats; 3 data sets x 4 floats per data set [x (3,), y ()] make 12.", Api.LastError());
            Assert.Equal(Api.Shape, Api.Sample(model, obs, 2, 5, 1, draws, observationsCount: 7));

            Assert.Equal(Api.BufferTooSmall, Api.Sample(model, obs, 2, 5, 1, draws, outCapacity: 29));
            Assert.Equal("amortized_sample: out_draws holds 29 floats; 2 data sets x 5 samples x 3 parameters need 30.", Api.LastError());
            Assert.All(draws, v => Assert.Equal(42f, v));

            Assert.Equal(Api.Ok, Api.Sample(model, obs, 2, 5, 1, draws));
            Assert.Equal("", Api.LastError());   // success clears the message
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void LogProb_BadArguments_ReturnCodesWithMessages()
    {
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            float[] obs = TestModels.VectorObservations(2), theta = TestModels.VectorParameters(2);
            var output = new float[2];
            Assert.Equal(Api.Shape, Api.LogProb(model, obs, theta, 2, output, parametersCount: 5));
            Assert.Contains("parameters holds 5 floats", Api.LastError());
            Assert.Contains("[theta (2,), sigma ()]", Api.LastError());
            Assert.Equal(Api.NullArgument, Api.LogProb(model, obs, null, 2, output, parametersCount: 6));
            Assert.Equal(Api.BufferTooSmall, Api.LogProb(model, obs, theta, 2, new float[1]));
            Assert.Equal(Api.NullArgument, Api.LogProb(model, obs, theta, 2, null));
            Assert.Equal(Api.InvalidHandle, Api.LogProb(0, obs, theta, 2, output));
            Assert.Equal(Api.InvalidArgument, Api.LogProb(model, obs, theta, -1, output));
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void InfoJson_SmallOrNullBuffers_ReportTheRequiredSize()
    {
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            Assert.Equal(Api.BufferTooSmall, Api.InfoJson(model, null, 0, out nuint required));
            Assert.True(required > 100);
            var small = new byte[16];
            Assert.Equal(Api.BufferTooSmall, Api.InfoJson(model, small, small.Length, out nuint again));
            Assert.Equal(required, again);
            Assert.Contains($"the JSON needs {required}", Api.LastError());
            Assert.Equal(Api.NullArgument, Api.InfoJson(model, null, 10, out _));
            var exact = new byte[(int)required];
            Assert.Equal(Api.Ok, Api.InfoJson(model, exact, exact.Length, out _));
            Assert.Equal(0, exact[^1]);
            Assert.Equal(Api.InvalidHandle, Api.InfoJson(0, exact, exact.Length, out _));
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void SizeQueries_NullArguments_AreRejected()
    {
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try
        {
            Assert.Equal(Api.NullArgument, Api.ParameterDimNullOut(model));
            Assert.Contains("out_dim is NULL", Api.LastError());
            Assert.Equal(Api.InvalidHandle, Api.ParameterDim(0, out _));
            Assert.Equal(Api.InvalidHandle, Api.ObservationSize(0, out _));
        }
        finally
        {
            Api.Free(model);
        }
    }

    [Fact]
    public void LastError_IsPerThreadAndTruncatesAtCharacterBoundaries()
    {
        Assert.Equal(Api.Io, Api.Load(Path.Combine(Models.Root, "ünïcödé-missing.amz"), out _));
        string full = Api.LastError();
        Assert.Contains("ünïcödé-missing.amz", full);

        string cut = Api.LastError(8, out int rc);
        Assert.Equal(Api.BufferTooSmall, rc);
        Assert.True(full.StartsWith(cut, StringComparison.Ordinal) && cut.Length <= 7);
        // A capacity that would split the two-byte 'ü' keeps the message valid UTF-8.
        int before = System.Text.Encoding.UTF8.GetByteCount(full[..full.IndexOf('ü', StringComparison.Ordinal)]);
        string atBoundary = Api.LastError(before + 2, out _);
        Assert.False(atBoundary.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.Equal(full[..full.IndexOf('ü', StringComparison.Ordinal)], atBoundary);

        Assert.Equal("", Api.LastError(0, out rc));   // (NULL, 0): nothing to write, not an error
        Assert.Equal(Api.Ok, rc);
        Assert.Equal(full, Api.LastError());                                 // reading does not clear it

        string other = "unset";
        var thread = new Thread(() => other = Api.LastError());
        thread.Start();
        thread.Join();
        Assert.Equal("", other);
    }

    [Fact]
    public void Free_NullIsNoOp_VersionAndStatusNamesAreStatic()
    {
        Assert.Equal(Api.Ok, Api.Free(0));
        Assert.Equal(ModelFile.LibraryVersion, Api.Version());
        Assert.Equal("AMZ_OK", Api.StatusName(0));
        Assert.Equal("AMZ_ERR_SHAPE", Api.StatusName(Api.Shape));
        Assert.Equal("AMZ_ERR_INTERNAL", Api.StatusName(-9));
        Assert.Equal("AMZ_UNKNOWN", Api.StatusName(12));
    }

    private static string Source(nint model)
    {
        using var info = JsonDocument.Parse(Api.InfoJson(model));
        return info.RootElement.GetProperty("observation_shapes_source").GetString()!;
    }

    private static string[] Strings(JsonElement array, string property) => [.. array.EnumerateArray().Select(e => e.GetProperty(property).GetString()!)];
    private static int[] Ints(JsonElement array, string property) => [.. array.EnumerateArray().Select(e => e.GetProperty(property).GetInt32())];
}
