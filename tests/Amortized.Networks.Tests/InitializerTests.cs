using Amortized.Networks;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests;

public class InitializerTests
{
    [Theory]
    [InlineData(16, 8)]
    [InlineData(8, 16)]
    [InlineData(12, 12)]
    public void Orthogonal_ColumnsOrRowsAreOrthonormal(int rows, int cols)
    {
        var w = new float[rows * cols];
        Initializers.Fill(Initializer.Orthogonal, w, new Shape(rows, cols), new Rng(11));
        bool byColumns = rows >= cols;
        int count = byColumns ? cols : rows, length = byColumns ? rows : cols;
        for (int a = 0; a < count; a++)
        {
            for (int b = 0; b < count; b++)
            {
                double dot = 0;
                for (int i = 0; i < length; i++)
                    dot += byColumns ? w[i * cols + a] * w[i * cols + b] : w[a * cols + i] * w[b * cols + i];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 1e-5);
            }
        }
    }

    [Fact]
    public void GlorotUniform_StaysWithinLimitWithMatchingVariance()
    {
        var w = new float[256 * 128];
        Initializers.Fill(Initializer.GlorotUniform, w, new Shape(256, 128), new Rng(12));
        float limit = MathF.Sqrt(6f / 384f);
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        double variance = w.Select(v => (double)v * v).Average();
        Assert.Equal(limit * limit / 3.0, variance, 2e-4);   // U(-a, a) has variance a^2 / 3
    }

    [Fact]
    public void HeNormal_HasVarianceTwoOverFanIn()
    {
        var w = new float[200 * 100];
        Initializers.Fill(Initializer.HeNormal, w, new Shape(200, 100), new Rng(13));
        double variance = w.Select(v => (double)v * v).Average();
        Assert.Equal(2.0 / 200, variance, 4e-4);
    }

    [Fact]
    public void ParameterStore_GrowsWithoutBreakingViews()
    {
        var store = new ParameterStore();
        var rng = new Rng(1);
        var first = store.Add("a", new Shape(3), Initializer.Ones, rng);
        var big = store.Add("b", new Shape(5000), Initializer.Zeros, rng);   // forces the buffers to move
        first.Grad!.Span[1] = 2f;
        Assert.Equal(1f, store.Values[1]);
        Assert.Equal(2f, store.Gradients[1]);
        Assert.Equal(5000, big.Size);
        store.ZeroGrad();
        Assert.Equal(0f, first.Grad.Span[1]);
        Assert.Throws<ArgumentException>(() => store.Add("a", new Shape(1), Initializer.Zeros, rng));
    }
}
