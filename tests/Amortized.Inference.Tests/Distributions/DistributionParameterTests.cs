using System.Globalization;
using Amortized.Inference.Distributions;
using Xunit;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>Bad parameters throw an ArgumentException that names the parameter and shows the value given.</summary>
public sealed class DistributionParameterTests
{
    public static TheoryData<string, string, string> BadParameters => new()
    {
        // (what is built, parameter name, value as it appears in the message)
        { "Normal(0, 0)", "std", "0" },
        { "Normal(NaN, 1)", "mean", "NaN" },
        { "LogNormal(0, -1)", "sigma", "-1" },
        { "HalfNormal(-2)", "sigma", "-2" },
        { "Uniform(1, 1)", "high", "1" },
        { "Uniform(-inf, 1)", "low", "-∞" },
        { "Beta(0, 1)", "a", "0" },
        { "Beta(1, -3)", "b", "-3" },
        { "Gamma(-1, 1)", "shape", "-1" },
        { "Gamma(1, 0)", "rate", "0" },
        { "InverseGamma(0, 1)", "shape", "0" },
        { "InverseGamma(1, -1)", "scale", "-1" },
        { "Exponential(0)", "rate", "0" },
        { "StudentT(0)", "nu", "0" },
        { "StudentT(3, 0, -1)", "scale", "-1" },
        { "Cauchy(0, 0)", "scale", "0" },
        { "Poisson(-1)", "rate", "-1" },
        { "Poisson(1e10)", "rate", "10000000000" },
        { "Binomial(-1, 0.5)", "n", "-1" },
        { "Binomial(5, 1.5)", "p", "1.5" },
        { "NegativeBinomial(0, 0.5)", "r", "0" },
        { "NegativeBinomial(2, 1)", "p", "1" },
        { "NegativeBinomial.FromMeanDispersion(1, 0)", "alpha", "0" },
        { "Categorical(0.5, 0.6)", "probabilities", "1.1" },
        { "Categorical(-0.1, 1.1)", "probabilities", "-0.1" },
        { "Bernoulli(2)", "p", "2" },
        { "Dirichlet(1, 0)", "alpha[1]", "0" },
        { "Dirichlet(1)", "alpha", "1" },
        { "MultivariateNormal(not PD)", "covariance", "positive definite" },
        { "MultivariateNormal(not symmetric)", "covariance", "symmetric" },
        { "MultivariateNormal(wrong shape)", "covariance", "(2, 2)" },
        { "LkjCorrelation(1, 1)", "size", "1" },
        { "LkjCorrelation(3, 0)", "eta", "0" },
    };

    private static object Build(string what) => what switch
    {
        "Normal(0, 0)" => new Normal(0, 0),
        "Normal(NaN, 1)" => new Normal(double.NaN, 1),
        "LogNormal(0, -1)" => new LogNormal(0, -1),
        "HalfNormal(-2)" => new HalfNormal(-2),
        "Uniform(1, 1)" => new Uniform(1, 1),
        "Uniform(-inf, 1)" => new Uniform(double.NegativeInfinity, 1),
        "Beta(0, 1)" => new Beta(0, 1),
        "Beta(1, -3)" => new Beta(1, -3),
        "Gamma(-1, 1)" => new Gamma(-1, 1),
        "Gamma(1, 0)" => new Gamma(1, 0),
        "InverseGamma(0, 1)" => new InverseGamma(0, 1),
        "InverseGamma(1, -1)" => new InverseGamma(1, -1),
        "Exponential(0)" => new Exponential(0),
        "StudentT(0)" => new StudentT(0),
        "StudentT(3, 0, -1)" => new StudentT(3, 0, -1),
        "Cauchy(0, 0)" => new Cauchy(0, 0),
        "Poisson(-1)" => new Poisson(-1),
        "Poisson(1e10)" => new Poisson(1e10),
        "Binomial(-1, 0.5)" => new Binomial(-1, 0.5),
        "Binomial(5, 1.5)" => new Binomial(5, 1.5),
        "NegativeBinomial(0, 0.5)" => new NegativeBinomial(0, 0.5),
        "NegativeBinomial(2, 1)" => new NegativeBinomial(2, 1),
        "NegativeBinomial.FromMeanDispersion(1, 0)" => NegativeBinomial.FromMeanDispersion(1, 0),
        "Categorical(0.5, 0.6)" => new Categorical(0.5, 0.6),
        "Categorical(-0.1, 1.1)" => new Categorical(-0.1, 1.1),
        "Bernoulli(2)" => new Bernoulli(2),
        "Dirichlet(1, 0)" => new Dirichlet(1, 0),
        "Dirichlet(1)" => new Dirichlet(1),
        "MultivariateNormal(not PD)" => new MultivariateNormal([0, 0], new double[,] { { 1, 2 }, { 2, 1 } }),
        "MultivariateNormal(not symmetric)" => new MultivariateNormal([0, 0], new double[,] { { 1, 0.2 }, { 0.3, 1 } }),
        "MultivariateNormal(wrong shape)" => new MultivariateNormal([0, 0], new double[,] { { 1 } }),
        "LkjCorrelation(1, 1)" => new LkjCorrelation(1, 1),
        "LkjCorrelation(3, 0)" => new LkjCorrelation(3, 0),
        _ => throw new InvalidOperationException(what),
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public void Constructor_BadParameter_ThrowsNamingParameterAndValue(string what, string parameter, string shown)
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;   // the messages format numbers by culture
        try
        {
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => Build(what));
            Assert.Equal(parameter, e.ParamName);
            Assert.Contains(parameter, e.Message, StringComparison.Ordinal);
            Assert.Contains(shown.Replace("∞", "Infinity", StringComparison.Ordinal), e.Message,
                StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
