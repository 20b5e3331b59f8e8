using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Parquet.Tests;

/// <summary>
/// <see cref="ShardedDataset.OpenFiles"/> over Parquet files: row groups become shards that stream one at a
/// time, files stack by rows in the order given, and every row is served exactly once per pass.
/// </summary>
public class ShardedFilesTests
{
    public ShardedFilesTests() => ParquetFormat.Register();

    [Fact]
    public void ParquetRowGroups_StackAsOneDataset_EveryRowOnce()
    {
        using var folder = new TempFolder();
        SimulationBatch a = ParquetRoundTripTests.Sample(230, 1), b = ParquetRoundTripTests.Sample(70, 2);
        string parquet = folder.File("a.parquet"), second = folder.File("b.parquet");
        ParquetFiles.Write(parquet, a, rowGroupSize: 50);
        ParquetFiles.Write(second, b, rowGroupSize: 100);

        var dataset = ShardedDataset.OpenFiles([parquet, second]);
        Assert.Equal(300, dataset.Count);
        Assert.Equal([50, 50, 50, 50, 30, 70], Enumerable.Range(0, dataset.ShardCount).Select(dataset.ShardRows));
        Assert.True(dataset.IsComplete);
        Assert.Throws<InvalidOperationException>(() => dataset.Refresh());

        // Sequential order is the files' order: the concatenation, bitwise.
        var sequential = SimulationBatch.Concatenate([.. dataset.ReadSequential(64)]);
        ParquetRoundTripTests.AssertSame(SimulationBatch.Concatenate([a, b]), sequential);

        // A shuffled pass holding two shards at a time serves each row once: the theta rows, sorted, are the same.
        var shuffled = SimulationBatch.Concatenate([.. dataset.ReadShuffled(32, seed: 7, bufferShards: 2)]);
        Assert.NotEqual(sequential.Get("theta"), shuffled.Get("theta"));
        Assert.Equal(Rows(sequential.Get("theta")), Rows(shuffled.Get("theta")));
    }

    [Fact]
    public void FilesThatDisagree_OrAreMissing_AreRefusedNamingThem()
    {
        using var folder = new TempFolder();
        string good = folder.File("a.parquet"), other = folder.File("b.parquet");
        ParquetFiles.Write(good, ParquetRoundTripTests.Sample(20, 1), rowGroupSize: 10);
        var wrong = new SimulationBatch(5).Set("theta", new float[15], 5, 3);
        ParquetFiles.Write(other, wrong, rowGroupSize: 5);

        var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.OpenFiles([good, other]));
        Assert.Contains("b.parquet", e.Message);
        Assert.Throws<FileNotFoundException>(() => ShardedDataset.OpenFiles([good, folder.File("none.parquet")]));
        Assert.Throws<ArgumentException>(() => ShardedDataset.OpenFiles([good, good]));
        Assert.Throws<ArgumentException>(() => ShardedDataset.OpenFiles([]));
    }

    private static List<string> Rows(float[] theta) =>
        [.. theta.Chunk(2).Select(r => $"{r[0]:R},{r[1]:R}").Order(StringComparer.Ordinal)];
}
