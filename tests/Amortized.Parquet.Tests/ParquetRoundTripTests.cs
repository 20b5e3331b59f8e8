using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Tensors;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace Amortized.Parquet.Tests;

/// <summary>Our writer and reader: every layout, dtype and shape, several row groups, values bitwise equal.</summary>
public class ParquetRoundTripTests
{
    /// <summary>theta (B, 2) float, x (B, 3, 2) float, n (B,) integer, s (B,) float, one (B, 1) float.</summary>
    internal static SimulationBatch Sample(int rows, ulong seed)
    {
        var rng = new Rng(seed);
        var theta = new float[rows * 2];
        var x = new float[rows * 6];
        var s = new float[rows];
        var one = new float[rows];
        rng.FillNormal(theta);
        rng.FillNormal(x);
        rng.FillNormal(s);
        rng.FillNormal(one);
        var n = new int[rows];
        for (int i = 0; i < rows; i++) n[i] = rng.Integer(-1_000_000, 1_000_000);
        return new SimulationBatch(rows)
            .Set("theta", theta, rows, 2)
            .Set("x", x, rows, 3, 2)
            .SetIntegers("n", n, rows)
            .Set("s", s, rows)
            .Set("one", one, rows, 1);
    }

    internal static void AssertSame(SimulationBatch expected, SimulationBatch actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.Equal(expected.BatchSize, actual.BatchSize);
        foreach (string key in expected.Keys)
        {
            Assert.Equal(expected.Shape(key).ToArray(), actual.Shape(key).ToArray());
            Assert.Equal(expected.IsInteger(key), actual.IsInteger(key));
            float[] a = expected.Get(key), b = actual.Get(key);
            for (int i = 0; i < a.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]),
                    $"key '{key}' element {i}: {a[i]} written, {b[i]} read");
        }
    }

    [Theory]
    [InlineData(ParquetArrayLayout.Lists)]
    [InlineData(ParquetArrayLayout.Columns)]
    public void Write_Read_IsBitwiseEqual_InEveryLayout_OverSeveralRowGroups(ParquetArrayLayout layout)
    {
        using var dir = new TempFolder();
        string path = dir.File("sims.parquet");
        SimulationBatch batch = Sample(1000, 7);
        ParquetFiles.Write(path, batch, new ParquetWriteOptions { RowGroupSize = 300, Arrays = layout });

        ShardSchema schema = ParquetShardFormat.Instance.Inspect(path, ReadLimits.Default);
        Assert.Equal([300, 300, 300, 100], schema.PartRows);
        Assert.Equal(["theta", "x", "n", "s", "one"], schema.Keys.Select(k => k.Name));
        Assert.Equal([2], schema.Keys[0].RowShape);
        Assert.Equal([3, 2], schema.Keys[1].RowShape);
        Assert.Equal([], schema.Keys[2].RowShape);
        Assert.Equal(NpyDType.Int32, schema.Keys[2].DType);
        Assert.Equal(NpyDType.Float32, schema.Keys[0].DType);

        SimulationBatch part = ParquetShardFormat.Instance.ReadPart(path, 2, schema, ReadLimits.Default);
        AssertSame(batch.Slice(600, 300), part);
        AssertSame(batch, ParquetFiles.Read(path));
    }

    [Fact]
    public void Columns_Layout_NamesColumnsLikeTheCsvWriter()
    {
        using var dir = new TempFolder();
        string path = dir.File("flat.parquet");
        ParquetFiles.Write(path, Sample(10, 1), new ParquetWriteOptions { Arrays = ParquetArrayLayout.Columns });
        ParquetSchema schema = ReadSchema(path);
        Assert.Equal(["theta[0]", "theta[1]", "x[0,0]", "x[0,1]", "x[1,0]", "x[1,1]", "x[2,0]", "x[2,1]", "n", "s",
            "one[0]"], schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public void Lists_Layout_WritesListColumns()
    {
        using var dir = new TempFolder();
        string path = dir.File("lists.parquet");
        ParquetFiles.Write(path, Sample(10, 1));
        ParquetSchema schema = ReadSchema(path);
        Assert.IsType<ListField>(schema.Fields[0]);
        Assert.IsType<ListField>(((ListField)schema.Fields[1]).Item);
        Assert.IsType<DataField>(schema.Fields[2]);
        Assert.Equal(typeof(int), ((DataField)schema.Fields[2]).ClrType);
    }

    /// <summary>double, int64 and int32 columns (as pandas writes them) read as float32 keys, ints flagged.</summary>
    [Fact]
    public void WiderTypes_ReadAsFloat32_IntegersFlagged()
    {
        using var dir = new TempFolder();
        string path = dir.File("types.parquet");
        var d = new DataField<double>("d", false);
        var l = new DataField<long>("l", false);
        var v0 = new DataField<double>("v[0]", false);
        var v1 = new DataField<int>("v[1]", false);
        var listLeaf = new DataField<long>("element", false);
        var list = new ListField("k", listLeaf);
        WriteRaw(path, new ParquetSchema(d, l, v0, v1, list), async g =>
        {
            await g.WriteAsync<double>(d, new[] { 0.1, -2.5, 1e300 });
            await g.WriteAsync<long>(l, new long[] { 5, -7, 16_777_216 });
            await g.WriteAsync<double>(v0, new[] { 1.5, 2.5, 3.5 });
            await g.WriteAsync<int>(v1, new[] { 1, 2, 3 });
            await g.WriteAllPartsAsync<long>(listLeaf, new long[] { 1, 2, 3, 4, 5, 6 },
                new[] { listLeaf.MaxDefinitionLevel, listLeaf.MaxDefinitionLevel, listLeaf.MaxDefinitionLevel,
                    listLeaf.MaxDefinitionLevel, listLeaf.MaxDefinitionLevel, listLeaf.MaxDefinitionLevel },
                new[] { 0, 1, 0, 1, 0, 1 }, default);
        });
        SimulationBatch batch = ParquetFiles.Read(path);
        Assert.Equal(["d", "l", "v", "k"], batch.Keys);
        Assert.Equal([0.1f, -2.5f, float.PositiveInfinity], batch.Get("d"));
        Assert.False(batch.IsInteger("d"));
        Assert.Equal([5f, -7f, 16_777_216f], batch.Get("l"));
        Assert.True(batch.IsInteger("l"));
        Assert.Equal([3, 2], batch.Shape("v").ToArray());
        Assert.Equal([1.5f, 1f, 2.5f, 2f, 3.5f, 3f], batch.Get("v"));
        Assert.False(batch.IsInteger("v")); // mixed double and int elements: float
        Assert.Equal([3, 2], batch.Shape("k").ToArray());
        Assert.True(batch.IsInteger("k"));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], batch.Get("k"));
    }

    [Fact]
    public void OptionalColumns_WithoutNulls_Read()
    {
        using var dir = new TempFolder();
        string path = dir.File("optional.parquet");
        var a = new DataField<float?>("a");
        WriteRaw(path, new ParquetSchema(a), g => g.WriteAsync<float>(a, new float?[] { 1f, 2f, 3f }.AsMemory()));
        Assert.Equal([1f, 2f, 3f], ParquetFiles.Read(path).Get("a"));
    }

    [Fact]
    public void WriteShards_SplitsRowsEvenly_AndTheFilesReadBackInOrder()
    {
        using var dir = new TempFolder();
        SimulationBatch batch = Sample(100, 3);
        IReadOnlyList<string> paths = ParquetFiles.WriteShards(dir.Path, batch, 3);
        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"],
            paths.Select(Path.GetFileName));
        var parts = paths.Select(p => ParquetFiles.Read(p)).ToList();
        Assert.Equal([33, 33, 34], parts.Select(p => p.BatchSize));
        AssertSame(batch, SimulationBatch.Concatenate(parts));
        Assert.Throws<IOException>(() => ParquetFiles.WriteShards(dir.Path, batch, 3));
        Assert.All(paths, p => Assert.True(ParquetShardFormat.Instance.Claims(p)));
        Assert.False(ParquetShardFormat.Instance.Claims(dir.Path));
    }

    [Fact]
    public void Register_AddsTheFormatOnce()
    {
        ParquetFormat.Register();
        ParquetFormat.Register();
        Assert.Single(ShardFormats.Registered, f => f.Name == "parquet");
    }

    [Fact]
    public void Write_IsAtomic_NoTemporaryFileLeft()
    {
        using var dir = new TempFolder();
        ParquetFiles.Write(dir.File("a.parquet"), Sample(5, 1));
        Assert.Equal(["a.parquet"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    internal static ParquetSchema ReadSchema(string path) =>
        Task.Run(async () =>
        {
            await using var reader = await ParquetReader.CreateAsync(path);
            return reader.Schema;
        }).GetAwaiter().GetResult();

    /// <summary>Writes one row group through Parquet.Net directly (files our writer would not produce).</summary>
    internal static void WriteRaw(string path, ParquetSchema schema, Func<ParquetRowGroupWriter, Task> fill) =>
        Task.Run(async () =>
        {
            await using var stream = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(schema, stream);
            using var group = writer.CreateRowGroup();
            await fill(group);
            group.CompleteValidate();
        }).GetAwaiter().GetResult();
}
