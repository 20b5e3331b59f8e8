using Amortized.Testing;
using Xunit;

namespace Amortized.Tensors.Tests;

/// <summary>Philox4x32-10 known answers, determinism, streams, and the statistics of each distribution.</summary>
public class RngTests
{
    private const int Draws = 100_000;

    /// <summary>Bounds in standard errors for statistical checks (fixed seeds: they cannot flake, only catch bias).</summary>
    private const double Sigmas = 5;

    /// <summary>
    /// Random123's kat_vectors for philox4x32-10: counter (c0, c1, c2, c3), key (k0, k1) -> four output words.
    /// Rng maps key = seed (k0 low word) and counter = (block low, block high, stream low, stream high).
    /// </summary>
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void NextUInt32_Random123KnownAnswerVectors_Match(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint r0, uint r1, uint r2, uint r3)
    {
        var rng = new Rng(((ulong)k1 << 32) | k0, ((ulong)c3 << 32) | c2);
        rng.Seek(((ulong)c1 << 32) | c0);

        uint[] words = [rng.NextUInt32(), rng.NextUInt32(), rng.NextUInt32(), rng.NextUInt32()];

        Assert.Equal([r0, r1, r2, r3], words);
    }

    private static uint[] Words(Rng rng, int count)
    {
        var words = new uint[count];
        for (int i = 0; i < count; i++) words[i] = rng.NextUInt32();
        return words;
    }

    [Fact]
    public void NextUInt32_SameSeedAndStream_SameSequence()
    {
        Assert.Equal(Words(new Rng(TestSeeds.Default, 3), 100), Words(new Rng(TestSeeds.Default, 3), 100));
    }

    [Fact]
    public void NextUInt32_DifferentStreamsOrSeeds_DifferentSequences()
    {
        uint[] reference = Words(new Rng(TestSeeds.Default, 0), 64);

        Assert.NotEqual(reference, Words(new Rng(TestSeeds.Default, 1), 64));
        Assert.NotEqual(reference, Words(new Rng(TestSeeds.Default + 1, 0), 64));
        Assert.NotEqual(Words(Rng.Derive(TestSeeds.Default, 1, 2), 64), Words(Rng.Derive(TestSeeds.Default, 2, 1), 64));
    }

    [Fact]
    public void Fork_StreamId_SameAsNewGeneratorForThatStream()
    {
        var parent = new Rng(TestSeeds.Default);
        parent.NextUInt32();                                           // the parent's position does not matter

        Assert.Equal(Words(new Rng(TestSeeds.Default, 7), 40), Words(parent.Fork(7), 40));
    }

    [Fact]
    public void Seek_Block_ContinuesTheSequenceAtThatBlock()
    {
        uint[] sequence = Words(new Rng(TestSeeds.Default), 12);
        var rng = new Rng(TestSeeds.Default);
        rng.NextUInt32();

        rng.Seek(1);

        Assert.Equal(sequence[4..], Words(rng, 8));
    }

    [Fact]
    public void Normal_ManyDraws_MeanAndVarianceWithinStatisticalBounds()
    {
        var rng = new Rng(TestSeeds.Default);
        var values = new float[Draws];
        rng.FillNormal(values, mean: 2f, std: 3f);

        var (mean, variance) = Moments(values);

        // Standard errors: std / sqrt(n) for the mean, sigma^2 sqrt(2 / (n - 1)) for the variance.
        Assert.InRange(mean, 2 - Sigmas * 3 / Math.Sqrt(Draws), 2 + Sigmas * 3 / Math.Sqrt(Draws));
        Assert.InRange(variance, 9 * (1 - Sigmas * Math.Sqrt(2.0 / Draws)), 9 * (1 + Sigmas * Math.Sqrt(2.0 / Draws)));
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Normal_ManyDraws_TailFractionMatchesGaussian()
    {
        var rng = new Rng(TestSeeds.Default, 1);
        int beyond2 = 0;
        for (int i = 0; i < Draws; i++) if (Math.Abs(rng.Normal()) > 2) beyond2++;

        const double p = 0.0455003;                                    // P(|Z| > 2)
        double se = Math.Sqrt(p * (1 - p) / Draws);
        Assert.InRange((double)beyond2 / Draws, p - Sigmas * se, p + Sigmas * se);
    }

    [Fact]
    public void Uniform_ManyDraws_InRangeWithUniformMoments()
    {
        var rng = new Rng(TestSeeds.Default);
        var values = new float[Draws];
        rng.FillUniform(values, -1f, 3f);

        var (mean, variance) = Moments(values);

        Assert.All(values, v => Assert.True(v >= -1f && v < 3f, $"{v}"));
        Assert.InRange(mean, 1 - Sigmas * 2 / Math.Sqrt(3.0 * Draws), 1 + Sigmas * 2 / Math.Sqrt(3.0 * Draws));
        Assert.InRange(variance, 16.0 / 12 * 0.98, 16.0 / 12 * 1.02);
    }

    [Fact]
    public void NextDouble_ManyDraws_InUnitInterval()
    {
        var rng = new Rng(TestSeeds.Default);
        for (int i = 0; i < 10_000; i++)
        {
            double v = rng.NextDouble();
            Assert.True(v >= 0 && v < 1, $"draw {i}: {v}");
        }
    }

    [Fact]
    public void Integer_SmallRange_EveryValueEquallyLikely()
    {
        var rng = new Rng(TestSeeds.Default);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++)
        {
            int v = rng.Integer(-3, 4);
            Assert.InRange(v, -3, 3);
            counts[v + 3]++;
        }

        // Chi-square with 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
        Assert.True(ChiSquare(counts) < 22.46, $"counts {string.Join(", ", counts)}");
    }

    [Fact]
    public void Integer_RangeOfThreeQuartersOf2To32_Unbiased()
    {
        // R = 3 * 2^30: plain modulo would put half the draws in the lowest third, and multiply-shift without
        // rejection would make multiples of 3 twice as likely. Both fractions must be 1/3.
        const int low = int.MinValue, high = 1 << 30;
        var rng = new Rng(TestSeeds.Default);
        int lowest = 0, multipleOf3 = 0;
        const int n = 60_000;
        for (int i = 0; i < n; i++)
        {
            long offset = (long)rng.Integer(low, high) - low;
            Assert.InRange(offset, 0L, 3L * (1 << 30) - 1);
            if (offset < 1 << 30) lowest++;
            if (offset % 3 == 0) multipleOf3++;
        }

        double se = Math.Sqrt(1.0 / 3 * 2.0 / 3 / n);
        Assert.InRange((double)lowest / n, 1.0 / 3 - Sigmas * se, 1.0 / 3 + Sigmas * se);
        Assert.InRange((double)multipleOf3 / n, 1.0 / 3 - Sigmas * se, 1.0 / 3 + Sigmas * se);
    }

    [Fact]
    public void Integer_EmptyRange_ThrowsNamingRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).Integer(5, 5));
        Assert.Contains("[5, 5)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(100)]
    public void Permutation_AnyLength_ContainsEachIndexOnce(int n)
    {
        var perm = new int[n];
        new Rng(TestSeeds.Default).Permutation(perm);

        Assert.Equal(Enumerable.Range(0, n), perm.Order());
    }

    [Fact]
    public void Permutation_ThreeElements_AllSixOrdersEquallyLikely()
    {
        var rng = new Rng(TestSeeds.Default);
        var counts = new int[6];
        var perm = new int[3];
        for (int i = 0; i < 60_000; i++)
        {
            rng.Permutation(perm);
            counts[perm[0] * 2 + (perm[1] > perm[2] ? 1 : 0)]++;
        }

        // Chi-square with 5 degrees of freedom: P(chi2 > 20.52) = 0.001.
        Assert.True(ChiSquare(counts) < 20.52, $"counts {string.Join(", ", counts)}");
    }

    private static (double Mean, double Variance) Moments(float[] values)
    {
        double mean = 0;
        foreach (float v in values) mean += v;
        mean /= values.Length;
        double variance = 0;
        foreach (float v in values) variance += (v - mean) * (v - mean);
        return (mean, variance / (values.Length - 1));
    }

    private static double ChiSquare(int[] counts)
    {
        double total = counts.Sum(), expected = total / counts.Length, chi2 = 0;
        foreach (int c in counts) chi2 += (c - expected) * (c - expected) / expected;
        return chi2;
    }
}
