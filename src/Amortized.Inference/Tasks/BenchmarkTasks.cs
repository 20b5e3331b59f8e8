namespace Amortized.Inference.Tasks;

/// <summary>The benchmark tasks by name.</summary>
public static class BenchmarkTasks
{
    /// <summary>Every task name <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp", "gaussian_mixture",
        "bernoulli_glm", "bernoulli_glm_raw", "sir", "lotka_volterra", "inverse_kinematics", "gaussian_mean_sets",
    ];

    /// <summary>Creates the task called <paramref name="name"/>.</summary>
    public static BenchmarkTask Create(string name) => name switch
    {
        "two_moons" => new TwoMoons(),
        "gaussian_linear" => new GaussianLinear(),
        "gaussian_linear_uniform" => new GaussianLinearUniform(),
        "slcp" => new Slcp(),
        "gaussian_mixture" => new GaussianMixture(),
        "bernoulli_glm" => new BernoulliGlm(),
        "bernoulli_glm_raw" => new BernoulliGlm(raw: true),
        "sir" => new Sir(),
        "lotka_volterra" => new LotkaVolterra(),
        "inverse_kinematics" => new InverseKinematics(),
        "gaussian_mean_sets" => new GaussianMeanSets(),
        _ => throw new ArgumentException(
            $"BenchmarkTasks: unknown task '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };
}
