using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Tasks;
using Amortized.Networks.Flows;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// The free-form flow and the coupling flow's Gaussian-mixture base in model files: saved and loaded bitwise, files
/// from before the mixture option, and edited files out of bounds refused naming the field.
/// </summary>
public sealed class FreeFormFlowFileTests : IDisposable
{
    private static readonly FreeFormFlowOptions s_options = new()
    {
        Widths = [8, 8], Beta = 20, HutchinsonSampling = HutchinsonSampling.Normal, FiniteDifferenceStep = 5e-3,
    };

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-fff-file-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static ContinuousApproximator Build(ApproximatorSpec spec)
    {
        var approximator = TwoMoonsModelFiles.Build(spec);
        // Move every weight off its initial value (the free-form flow's projections start at zero), so the round
        // trip is tested on a network that is not the identity.
        var noise = new Tensors.Rng(11);
        foreach (var parameter in approximator.Store.Parameters)
        {
            var values = parameter.Span;
            for (int i = 0; i < values.Length; i++) values[i] += 0.05f * noise.Normal();
        }
        return approximator;
    }

    private static ApproximatorSpec FreeForm(FreeFormFlowOptions options) =>
        new() { Inference = InferenceNetworkKind.FreeFormFlow, FreeFormFlow = options };

    private static ApproximatorSpec Mixture(int? components) => new()
    {
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8], BaseMixtureComponents = components },
    };

    private string Save(ContinuousApproximator approximator, string name = "model.amz") =>
        TwoMoonsModelFiles.Save(_dir, approximator, name);

    [Fact]
    public void FreeFormFlow_SaveLoad_KeepsEveryOption_AndDrawsAndDensitiesBitwise()
    {
        var original = Build(FreeForm(s_options));
        var loaded = ApproximatorFile.Load(Save(original));
        Assert.IsType<FreeFormFlow>(loaded.InferenceNetwork);
        var options = loaded.Spec!.FreeFormFlow!;
        Assert.Equal([8, 8], options.Widths);
        Assert.Equal((20.0, HutchinsonSampling.Normal, (double?)5e-3),
            (options.Beta, options.HutchinsonSampling, options.FiniteDifferenceStep));
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
        var withTheta = new TwoMoons().Sample(5, seed: 9);
        Assert.Equal(original.LogProb(withTheta), loaded.LogProb(withTheta));
    }

    [Fact]
    public void MixtureBase_SaveLoad_IsBitwise()
    {
        var original = Build(Mixture(3));
        var loaded = ApproximatorFile.Load(Save(original));
        Assert.Equal(3, Assert.IsType<DiagonalGaussianMixture>(((CouplingFlow)loaded.InferenceNetwork).Base).Components);
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
    }

    [Fact]
    public void CouplingFlowFile_WithoutTheMixtureOption_LoadsAsTheStandardNormalFlow()
    {
        var original = Build(Mixture(null));
        byte[] bytes = File.ReadAllBytes(Save(original));
        // A file written before the option existed has no such key; one written now leaves the null out too. Both
        // an absent key and an explicit null read back as the standard normal.
        foreach (JsonNode? value in new JsonNode?[] { null, JsonValue.Create(1) })
        {
            string path = Path.Combine(_dir.FullName, "old.amz");
            File.WriteAllBytes(path, ResealSpec(bytes, spec =>
            {
                Assert.False(Flow(spec).ContainsKey("base_mixture_components"));
                if (value is not null) Flow(spec)["base_mixture_components"] = value.DeepClone();
            }));
            var loaded = ApproximatorFile.Load(path);
            Assert.IsType<StandardNormal>(((CouplingFlow)loaded.InferenceNetwork).Base);
            var data = TwoMoonsModelFiles.Observations();
            Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
        }
    }

    public static TheoryData<string, JsonNode, string, string> FreeFormOutOfBounds => new()
    {
        { "beta", -1.0, "-1", "a finite number of at least 0" },
        { "finite_difference_step", 0.0, "0", "a number in (0, 1]" },
        { "finite_difference_step", 3.0, "3", "a number in (0, 1]" },
        { "hutchinson_sampling", 5, "5", "one of Sphere, Normal" },
        { "activation", 42, "42", "one of Identity, Relu, Silu, HardSilu, Softplus, Tanh, Sigmoid, Gelu, Mish" },
        { "widths", new JsonArray(), "0", "at least one hidden width" },
    };

    [Theory]
    [MemberData(nameof(FreeFormOutOfBounds))]
    public void FreeFormFlow_OptionOutOfBounds_RefusedNamingTheField(string key, JsonNode value, string declared,
        string allowed)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(FreeForm(s_options))));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["free_form_flow"]![key] = value.DeepClone()));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        string field = key == "widths" ? "widths (its length)" : key;
        Assert.Equal($"Model file '{path}': spec field 'spec.free_form_flow.{field}' is {declared}; allowed: {allowed}.",
            e.Message);
    }

    [Fact]
    public void FreeFormFlow_WidthOutOfBounds_RefusedNamingTheField()
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(FreeForm(s_options))));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["free_form_flow"]!["widths"]![1] = 1 << 30));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Contains("spec field 'spec.free_form_flow.widths[1]' is 1073741824", e.Message);
    }

    [Theory]
    [InlineData(0, null, "base_mixture_components", "0", "1 to 64 (CouplingFlowOptions.MaxBaseMixtureComponents)")]
    [InlineData(65, null, "base_mixture_components", "65", "1 to 64 (CouplingFlowOptions.MaxBaseMixtureComponents)")]
    [InlineData(3, 5.0, "student_t_degrees_of_freedom", "5",
        "null while spec.coupling_flow.base_mixture_components is 3 (one latent distribution)")]
    public void MixtureBase_OutOfBounds_RefusedNamingTheField(int components, double? nu, string key, string declared,
        string allowed)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(Mixture(3))));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec =>
        {
            Flow(spec)["base_mixture_components"] = components;
            if (nu is double v) Flow(spec)["student_t_degrees_of_freedom"] = v;
        }));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Equal($"Model file '{path}': spec field 'spec.coupling_flow.{key}' is {declared}; allowed: {allowed}.",
            e.Message);
    }
}
