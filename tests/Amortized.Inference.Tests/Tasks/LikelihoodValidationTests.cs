using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Tasks;

public sealed class LikelihoodValidationTests
{
    public static TheoryData<string> AllTasks()
    {
        var data = new TheoryData<string>();
        foreach (string name in BenchmarkTasks.Names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllTasks))]
    public void LogLikelihood_WrongLengthsOrUnsupported_Throw(string name)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        var theta = new float[task.ParameterDim];
        var x = new float[task.DataDim];
        if (!task.HasLogLikelihood)
        {
            var e = Assert.Throws<NotSupportedException>(() => task.LogLikelihood(theta, x));
            Assert.Contains(name, e.Message);
            return;
        }
        var wrongTheta = Assert.Throws<ArgumentException>(
            () => task.LogLikelihood(new float[task.ParameterDim + 1], x));
        Assert.Contains(name, wrongTheta.Message);
        Assert.Contains($"expected {task.ParameterDim}", wrongTheta.Message);
        var wrongX = Assert.Throws<ArgumentException>(() => task.LogLikelihood(theta, new float[task.DataDim - 1]));
        Assert.Contains(name, wrongX.Message);
        Assert.Contains($"expected {task.DataDim}", wrongX.Message);
    }

    [Theory]
    [MemberData(nameof(AllTasks))]
    public void SampleExactPosterior_WrongLengthsOrUnsupported_Throw(string name)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        var x = new float[task.DataDim];
        var rng = new Rng(1);
        if (!task.HasExactPosterior)
        {
            var e = Assert.Throws<NotSupportedException>(
                () => task.SampleExactPosterior(x, rng, new float[task.ParameterDim]));
            Assert.Contains(name, e.Message);
            return;
        }
        var wrongDraws = Assert.Throws<ArgumentException>(
            () => task.SampleExactPosterior(x, rng, new float[2 * task.ParameterDim + 1]));
        Assert.Contains(name, wrongDraws.Message);
        Assert.Contains($"multiple of P = {task.ParameterDim}", wrongDraws.Message);
        var wrongX = Assert.Throws<ArgumentException>(
            () => task.SampleExactPosterior(new float[task.DataDim + 1], rng, new float[task.ParameterDim]));
        Assert.Contains(name, wrongX.Message);
        Assert.Throws<ArgumentNullException>(() => task.SampleExactPosterior(x, null!, new float[task.ParameterDim]));
        task.SampleExactPosterior(x, rng, Span<float>.Empty);   // zero draws is valid
    }
}
