using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amortized.Inference.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Native.Tests;

/// <summary>
/// libamortized.so as a C or Python program sees it: published with Native AOT, called from a compiled C
/// program and from the ctypes example, and compared with the managed API on the same model, inputs and seed.
/// </summary>
[Collection(NativeLibraryCollection.Name)]
public sealed partial class RoundTripTests(NativeLibraryFixture native, ITestOutputHelper log)
{
    private const int Datasets = 3, Samples = 25;
    private const ulong Seed = 2024;

    private static TestModels Models => TestModels.Instance;

    [RequiresToolFact("gcc", "Native AOT linking and the C round trip")]
    public void Publish_WritesTheLibraryWithoutTrimOrAotWarnings()
    {
        NativeLibraryFixture.Published lib = native.Library;
        log.WriteLine($"publish {lib.PublishTime.TotalSeconds:F1} s, {lib.LibraryPath}: {new FileInfo(lib.LibraryPath).Length / 1e6:F2} MB");
        // TreatWarningsAsErrors already fails the compile on analyzer warnings; ILC's own trim and AOT analysis
        // warnings (IL2xxx, IL3xxx) are checked here too, in case a future SDK stops treating them as errors.
        Assert.DoesNotMatch(WarningPattern(), lib.Log);
        var nm = Tools.Find("nm") is null ? null : Tools.Run("nm", ["-D", "--defined-only", lib.LibraryPath], native.Root, TimeSpan.FromMinutes(1));
        if (nm is not null)
            foreach (string symbol in (string[])["amortized_version", "amortized_status_name", "amortized_last_error", "amortized_load",
                         "amortized_load_with_shapes", "amortized_free", "amortized_info_json", "amortized_parameter_dim",
                         "amortized_observation_size", "amortized_sample", "amortized_log_prob"])
                Assert.Matches($@"\bT {symbol}\b", nm.Output);
    }

    [RequiresToolFact("gcc", "the C round trip")]
    public void CProgram_SamplesLogProbsAndErrorsMatchTheManagedApi()
    {
        NativeLibraryFixture.Published lib = native.Library;
        string work = Directory.CreateDirectory(Path.Combine(native.Root, "roundtrip-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        string exe = Path.Combine(work, "roundtrip");
        string source = Path.Combine(AppContext.BaseDirectory, "c", "roundtrip.c");
        var gcc = Tools.Run("gcc", ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", NativeLibraryFixture.ProjectDirectory,
            "-o", exe, source, "-L" + lib.Directory, "-lamortized", "-Wl,-rpath," + lib.Directory, "-lpthread"], work, TimeSpan.FromMinutes(2));
        Assert.True(gcc.ExitCode == 0, $"gcc failed:\n{gcc}");

        float[] obs = TestModels.VectorObservations(Datasets), theta = TestModels.VectorParameters(Datasets);
        WriteFloats(Path.Combine(work, "obs.bin"), obs);
        WriteFloats(Path.Combine(work, "params.bin"), theta);
        var run = Tools.Run(exe, [Models.VectorModel, Path.Combine(work, "obs.bin"), $"{Datasets}", $"{Samples}", $"{Seed}",
            Path.Combine(work, "params.bin"), work, Models.CorruptModel, Models.MissingModel], work, TimeSpan.FromMinutes(2));
        log.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, $"roundtrip failed:\n{run}");
        Assert.Contains("threads: 4 x 3 concurrent calls equal the sequential ones", run.Output);

        var managed = ApproximatorFile.Load(Models.VectorModel);
        float[] expectedDraws = TestModels.FlattenVectorDraws(managed.Sample(TestModels.VectorBatch(obs), Samples, Seed), Datasets, Samples);
        AssertSameFloats(expectedDraws, ReadFloats(Path.Combine(work, "draws.bin")));
        AssertSameFloats(managed.LogProb(TestModels.VectorLogProbBatch(obs, theta)), ReadFloats(Path.Combine(work, "logprob.bin")));

        // The AOT library describes the model exactly as the JIT-compiled export layer does.
        nint model = Api.LoadOrThrow(Models.VectorModel);
        try { Assert.Equal(Api.InfoJson(model), File.ReadAllText(Path.Combine(work, "info.json"))); }
        finally { Api.Free(model); }

        var errors = File.ReadAllLines(Path.Combine(work, "errors.tsv")).Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        void Expect(string name, int code, string messagePart)
        {
            Assert.True(errors.TryGetValue(name, out string[]? f), $"no line for {name}");
            Assert.Equal(code, int.Parse(f![1], CultureInfo.InvariantCulture));
            Assert.Contains(messagePart, f[3]);
        }
        Expect("load_missing", Api.Io, "missing.amz");
        Expect("load_corrupt", Api.Format, "checksum");
        Expect("load_null_path", Api.NullArgument, "path is NULL");
        Expect("load_null_out", Api.NullArgument, "out_model is NULL");
        Expect("load_bad_shapes_json", Api.InvalidArgument, "not valid JSON");
        Expect("info_small_buffer", Api.BufferTooSmall, "the buffer holds 8 bytes");
        Expect("sample_null_model", Api.InvalidHandle, "handle is NULL");
        Expect("sample_wrong_count", Api.Shape, $"observations holds {Datasets * 4 - 1} floats");
        Expect("sample_small_out", Api.BufferTooSmall, $"out_draws holds {Datasets * Samples * 3 - 1} floats");
        Expect("sample_zero_datasets", Api.InvalidArgument, "num_datasets is 0");
        Expect("sample_null_obs", Api.NullArgument, "observations is NULL");
        Expect("log_prob_wrong_params", Api.Shape, "parameters holds 1 floats");
        Expect("dim_null_out", Api.NullArgument, "out_dim is NULL");
        Expect("last_error_truncated", Api.BufferTooSmall, "amort");
        Assert.Equal("amort", errors["last_error_truncated"][3]);
        Expect("free_null", Api.Ok, "");
        Expect("free_stale", Api.InvalidHandle, "does not refer to a loaded model");
        Expect("load_shapes_too_large", Api.InvalidArgument, "observation_shapes_json: observation shapes: key 'x'");
        Expect("load_signed_unsigned", Api.Format, "it is not signed");
        Assert.All(errors.Values.Where(f => f[1] != "0"), f => Assert.StartsWith("AMZ_ERR_", f[2]));
    }

    [RequiresToolFact("python3", "the ctypes example")]
    public void PythonExample_SamplesAndLogProbsMatchTheManagedApi()
    {
        if (Tools.Find("gcc") is null) return;   // publishing links with gcc; the gcc-gated tests report the skip
        NativeLibraryFixture.Published lib = native.Library;
        string script = Path.Combine(NativeLibraryFixture.ProjectDirectory, "examples", "sample.py");
        float[] obs = TestModels.VectorObservations(Datasets), theta = TestModels.VectorParameters(Datasets);
        var run = Tools.Run("python3", [script, Models.VectorModel, "--lib", lib.LibraryPath, "--obs=" + Join(obs), "--params=" + Join(theta),
            "--samples", $"{Samples}", "--seed", $"{Seed}", "--json"], native.Root, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"sample.py failed:\n{run}");
        using var result = JsonDocument.Parse(run.Output);
        JsonElement root = result.RootElement;
        Assert.Equal(ModelFile.LibraryVersion, root.GetProperty("version").GetString());
        Assert.Equal(["theta[0]", "theta[1]", "sigma"], root.GetProperty("info").GetProperty("parameter_names").EnumerateArray().Select(e => e.GetString()));

        var managed = ApproximatorFile.Load(Models.VectorModel);
        AssertSameFloats(TestModels.FlattenVectorDraws(managed.Sample(TestModels.VectorBatch(obs), Samples, Seed), Datasets, Samples), Floats(root.GetProperty("draws")));
        AssertSameFloats(managed.LogProb(TestModels.VectorLogProbBatch(obs, theta)), Floats(root.GetProperty("log_prob")));

        // A DeepSet model whose layout comes from its metadata: x (100), n (), observed (100) per data set.
        var (setObs, setBatch) = SetData();
        var sets = Tools.Run("python3", [script, Models.SetModelWithShapes, "--lib", lib.LibraryPath, "--obs=" + Join(setObs),
            "--samples", $"{Samples}", "--seed", $"{Seed}", "--json"], native.Root, TimeSpan.FromMinutes(2));
        Assert.True(sets.ExitCode == 0, $"sample.py failed:\n{sets}");
        using var setResult = JsonDocument.Parse(sets.Output);
        Assert.Equal("metadata", setResult.RootElement.GetProperty("info").GetProperty("observation_shapes_source").GetString());
        AssertSameFloats(ApproximatorFile.Load(Models.SetModel).Sample(setBatch, Samples, Seed).Get("mu"), Floats(setResult.RootElement.GetProperty("draws")));

        // The human-readable mode and a library error surfaced as a Python exception with the message.
        var summary = Tools.Run("python3", [script, Models.VectorModel, "--lib", lib.LibraryPath, "--obs=" + Join(obs), "--samples", "10"],
            native.Root, TimeSpan.FromMinutes(2));
        Assert.True(summary.ExitCode == 0, summary.ToString());
        Assert.Contains("data set 2: theta[0] mean", summary.Output);
        // A signed copy loads with its key (same draws as the unsigned file) and is refused under another key.
        string signed = Path.Combine(native.Root, "python-signed.amz"), keyFile = Path.Combine(native.Root, "python.key");
        string otherKey = Path.Combine(native.Root, "python-other.key");
        File.WriteAllBytes(keyFile, [.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
        File.WriteAllBytes(otherKey, [.. Enumerable.Range(101, 32).Select(i => (byte)i)]);
        var unsigned = ApproximatorFile.Load(Models.VectorModel, out var vectorMetadata);
        ApproximatorFile.Save(signed, unsigned, vectorMetadata, ModelFileKey.FromFile(keyFile));
        var withKey = Tools.Run("python3", [script, signed, "--lib", lib.LibraryPath, "--key-file", keyFile,
            "--obs=" + Join(obs), "--samples", $"{Samples}", "--seed", $"{Seed}", "--json"], native.Root, TimeSpan.FromMinutes(2));
        Assert.True(withKey.ExitCode == 0, $"sample.py --key-file failed:\n{withKey}");
        using (var keyed = JsonDocument.Parse(withKey.Output))
            AssertSameFloats(Floats(root.GetProperty("draws")), Floats(keyed.RootElement.GetProperty("draws")));
        var wrongKey = Tools.Run("python3", [script, signed, "--lib", lib.LibraryPath, "--key-file", otherKey],
            native.Root, TimeSpan.FromMinutes(2));
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("AMZ_ERR_FORMAT", wrongKey.Error);

        var failure = Tools.Run("python3", [script, Models.CorruptModel, "--lib", lib.LibraryPath], native.Root, TimeSpan.FromMinutes(2));
        Assert.Equal(1, failure.ExitCode);
        Assert.Contains("AMZ_ERR_FORMAT (-6)", failure.Error);
        Assert.Contains("checksum", failure.Error);
    }

    /// <summary>Two data sets for the set model, flat (x, n, observed) and as a managed batch.</summary>
    private static (float[] Flat, Inference.Simulators.SimulationBatch Batch) SetData()
    {
        const int n = TestModels.SetSize, width = 2 * n + 1;
        int[] counts = [12, 70];
        var flat = new float[counts.Length * width];
        var x = new float[counts.Length * n];
        var observed = new float[counts.Length * n];
        for (int i = 0; i < counts.Length; i++)
        {
            for (int j = 0; j < counts[i]; j++)
            {
                x[i * n + j] = flat[i * width + j] = -0.4f + 0.9f * MathF.Sin(0.3f * j + i);
                observed[i * n + j] = flat[i * width + n + 1 + j] = 1;
            }
            flat[i * width + n] = counts[i];
        }
        var batch = new Inference.Simulators.SimulationBatch(counts.Length)
            .Set("x", x, counts.Length, n).Set("n", [.. counts.Select(c => (float)c)], counts.Length).Set("observed", observed, counts.Length, n);
        return (flat, batch);
    }

    /// <summary>
    /// Bit-exact where the JIT runs the same kernels as the AOT library. The library is compiled for x86-64-v3,
    /// so it always takes the AVX2 (Vector256) paths; the JIT takes AVX-512 paths when the CPU has them, and
    /// those accumulate GEMM and reductions in another order, so there the last bits may differ and a relative
    /// 1e-4 (float32 round-off amplified through a few flow layers) is the honest bound.
    /// </summary>
    private static void AssertSameFloats(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (!Vector512.IsHardwareAccelerated)
        {
            Assert.Equal(expected, actual);
            return;
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: managed {expected[i]:R}, native {actual[i]:R}");
    }

    private static void WriteFloats(string path, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);   // little-endian on every supported target
        File.WriteAllBytes(path, bytes);
    }

    private static float[] ReadFloats(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    // Python prints each float32 as the shortest double that round-trips, so double -> float is exact.
    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => (float)e.GetDouble())];

    // Each float as the double of the same value, so Python's float() and its cast to c_float are both exact.
    private static string Join(float[] values) => string.Join(",", values.Select(v => ((double)v).ToString("R", CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"warning (IL\d{4}|CS\d{4})")]
    private static partial Regex WarningPattern();
}
