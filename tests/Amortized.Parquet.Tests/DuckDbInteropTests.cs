using System.Globalization;
using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using DuckDB.NET.Data;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Parquet.Tests;

/// <summary>
/// Interoperability with a Parquet implementation that is not Parquet.Net: DuckDB (its own C++ reader and writer)
/// writes files our reader reads, and reads the files our writer writes.
/// </summary>
public sealed class DuckDbInteropTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly DuckDBConnection _db = new("DataSource=:memory:");
    private readonly ITestOutputHelper _output;

    public DuckDbInteropTests(ITestOutputHelper output)
    {
        _output = output;
        _db.Open();
        Execute("SET threads TO 1"); // rows stay in insertion order, row groups as requested
    }

    public void Dispose()
    {
        _db.Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// theta ~ N(0, I2), x ~ N(theta, I2): the posterior is N(x / 2, I2 / 2). Simulated in C# with a seed, inserted
    /// into DuckDB, written by DuckDB as theta FLOAT[] (a list column) and x as DOUBLE columns "x[0]", "x[1]" in
    /// several row groups; our reader must return exactly the simulated values, and a posterior trained on them must
    /// recover the analytic one.
    /// </summary>
    [Fact]
    public void DuckDbFile_ListAndIndexedColumns_ReadsExactly_AndTrainsAPosterior()
    {
        const int rows = 6000;
        var rng = new Rng(11);
        var theta = new float[rows * 2];
        var x = new double[rows * 2];
        Execute("CREATE TABLE sims (i INTEGER, t0 FLOAT, t1 FLOAT, x0 DOUBLE, x1 DOUBLE)");
        using (DuckDBAppender appender = _db.CreateAppender("sims"))
        {
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    theta[i * 2 + j] = rng.Normal();
                    x[i * 2 + j] = theta[i * 2 + j] + (double)rng.Normal();
                }
                appender.CreateRow().AppendValue(i).AppendValue(theta[i * 2]).AppendValue(theta[i * 2 + 1])
                    .AppendValue(x[i * 2]).AppendValue(x[i * 2 + 1]).EndRow();
            }
        }
        string path = _dir.File("duck.parquet");
        Execute($"COPY (SELECT [t0, t1]::FLOAT[] AS theta, x0 AS \"x[0]\", x1 AS \"x[1]\", i AS n FROM sims " +
            $"ORDER BY i) TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)");

        ShardSchema schema = ParquetShardFormat.Instance.Inspect(path, ReadLimits.Default);
        Assert.True(schema.PartRows.Count >= 2, $"{schema.PartRows.Count} row groups");
        Assert.Equal(rows, schema.Rows);
        Assert.Equal(["theta", "x", "n"], schema.Keys.Select(k => k.Name));
        Assert.Equal([2], schema.Keys[0].RowShape);
        Assert.Equal([2], schema.Keys[1].RowShape);
        Assert.Equal(NpyDType.Float64, schema.Keys[1].DType);

        SimulationBatch data = ParquetFiles.Read(path);
        Assert.Equal(theta, data.Get("theta"));
        Assert.Equal(x.Select(v => (float)v), data.Get("x"));
        Assert.True(data.IsInteger("n"));
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (float)i), data.Get("n"));

        data.Remove("n");
        var adapter = new Adapter()
            .Concatenate(["theta"], into: Keys.InferenceVariables)
            .Concatenate(["x"], into: Keys.InferenceConditions);
        var store = new ParameterStore();
        var flow = new CouplingFlow(store, "flow", 2, 2,
            new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], ConditionalAffine = true }, new Rng(2));
        var approximator = new ContinuousApproximator(adapter, flow, null, store);
        new Trainer(approximator, new TrainingOptions
        {
            Epochs = 10, BatchSize = 64, LearningRate = 5e-4f, Seed = 3, ValidationFraction = 0.1,
        }).FitOffline(data);

        const int sets = 10, draws = 4000;
        var observed = new float[sets * 2];
        var testRng = new Rng(99);
        for (int i = 0; i < observed.Length; i++) observed[i] = testRng.Normal() * 1.4f;
        var samples = approximator.Sample(new SimulationBatch(sets).Set("x", observed, sets, 2), draws, seed: 4)
            .Get("theta");
        double worstMean = 0, worstVariance = 0;
        for (int b = 0; b < sets; b++)
            for (int j = 0; j < 2; j++)
            {
                double mean = 0, sq = 0;
                for (int s = 0; s < draws; s++) mean += samples[(b * draws + s) * 2 + j] / draws;
                for (int s = 0; s < draws; s++) sq += Math.Pow(samples[(b * draws + s) * 2 + j] - mean, 2);
                worstMean = Math.Max(worstMean, Math.Abs(mean - observed[b * 2 + j] / 2));
                worstVariance = Math.Max(worstVariance, Math.Abs(sq / (draws - 1) / 0.5 - 1));
            }
        _output.WriteLine($"largest |posterior mean - x/2| = {worstMean:F4}, largest |variance / 0.5 - 1| = " +
            $"{worstVariance:F3}");
        Assert.True(worstMean < 0.1, $"largest |posterior mean - x/2| = {worstMean:F4}");
        Assert.True(worstVariance < 0.2, $"largest |variance / 0.5 - 1| = {worstVariance:F3}");
    }

    [Fact]
    public void DuckDbFile_NestedLists_ReadAsTwoDimensionalRows()
    {
        string path = _dir.File("nested.parquet");
        Execute($"COPY (SELECT i, [[i, i + 1, i + 2], [i * 10, i * 10 + 1, i * 10 + 2]]::INTEGER[][] AS m " +
            $"FROM range(5000) t(i)) TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)");
        ShardSchema schema = ParquetShardFormat.Instance.Inspect(path, ReadLimits.Default);
        Assert.Equal([2, 3], schema.Keys[1].RowShape);
        Assert.Equal(NpyDType.Int64, schema.Keys[0].DType); // range() yields BIGINT
        SimulationBatch batch = ParquetFiles.Read(path);
        Assert.Equal([5000, 2, 3], batch.Shape("m").ToArray());
        Assert.True(batch.IsInteger("m"));
        for (int i = 0; i < 5000; i += 997)
            Assert.Equal(new float[] { i, i + 1, i + 2, i * 10, i * 10 + 1, i * 10 + 2 }, batch.Row("m", i).ToArray());
    }

    [Fact]
    public void DuckDbFile_RaggedList_NamesFileRowGroupColumnAndRow()
    {
        string path = _dir.File("ragged.parquet");
        Execute($"COPY (SELECT CASE WHEN i = 3000 THEN [1.0, 2.0, 3.0] WHEN i = 3001 THEN [1.0] " +
            "ELSE [1.0, 2.0] END::DOUBLE[] AS x " +
            $"FROM range(4000) t(i)) TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)");
        var e = Assert.Throws<InvalidDataException>(() => ParquetFiles.Read(path));
        Mentions(e.Message, path);
        // Row 3000 is row 952 of the second row group; rows 3000 and 3001 keep the value count a multiple of 2.
        Mentions(e.Message, "row group 1 column 'x' row 952 has a list of length 3; expected 2");
    }

    [Fact]
    public void DuckDbFile_Null_NamesColumnAndRow()
    {
        string path = _dir.File("null.parquet");
        Execute($"COPY (SELECT CASE WHEN i = 7 THEN NULL ELSE i::FLOAT END AS a FROM range(10) t(i)) TO '{path}' " +
            "(FORMAT PARQUET)");
        var e = Assert.Throws<InvalidDataException>(() => ParquetFiles.Read(path));
        Mentions(e.Message, path);
        Mentions(e.Message, "column 'a' is null in row 7");
    }

    /// <summary>Our list-layout file as DuckDB reads it: the same types, shapes and values.</summary>
    [Fact]
    public void OurFile_Lists_IsReadByDuckDb()
    {
        string path = _dir.File("ours.parquet");
        SimulationBatch batch = ParquetRoundTripTests.Sample(500, 9);
        ParquetFiles.Write(path, batch, 200);
        Assert.Equal("FLOAT[] FLOAT[][] INTEGER FLOAT FLOAT[]",
            Scalar($"SELECT concat_ws(' ', typeof(theta), typeof(x), typeof(n), typeof(s), typeof(one)) " +
                $"FROM read_parquet('{path}') LIMIT 1"));
        Assert.Equal("500", Scalar($"SELECT count(*) FROM read_parquet('{path}')"));
        using var command = _db.CreateCommand();
        command.CommandText = $"SELECT theta[1], theta[2], x[1][1], x[3][2], n, s, one[1], len(x), len(x[2]) " +
            $"FROM read_parquet('{path}')";
        using var reader = command.ExecuteReader();
        int row = 0;
        while (reader.Read())
        {
            Assert.Equal(batch.Row("theta", row)[0], reader.GetFloat(0));
            Assert.Equal(batch.Row("theta", row)[1], reader.GetFloat(1));
            Assert.Equal(batch.Row("x", row)[0], reader.GetFloat(2));
            Assert.Equal(batch.Row("x", row)[5], reader.GetFloat(3));
            Assert.Equal((int)batch.Row("n", row)[0], reader.GetInt32(4));
            Assert.Equal(batch.Row("s", row)[0], reader.GetFloat(5));
            Assert.Equal(batch.Row("one", row)[0], reader.GetFloat(6));
            Assert.Equal(3L, Convert.ToInt64(reader.GetValue(7), CultureInfo.InvariantCulture));
            Assert.Equal(2L, Convert.ToInt64(reader.GetValue(8), CultureInfo.InvariantCulture));
            row++;
        }
        Assert.Equal(500, row);
    }

    [Fact]
    public void OurFile_Columns_IsReadByDuckDb()
    {
        string path = _dir.File("flat.parquet");
        SimulationBatch batch = ParquetRoundTripTests.Sample(50, 2);
        ParquetFiles.Write(path, batch, new ParquetWriteOptions { Arrays = ParquetArrayLayout.Columns });
        using var command = _db.CreateCommand();
        command.CommandText = $"SELECT \"theta[1]\", \"x[2,1]\" FROM read_parquet('{path}')";
        using var reader = command.ExecuteReader();
        int row = 0;
        while (reader.Read())
        {
            Assert.Equal(batch.Row("theta", row)[1], reader.GetFloat(0));
            Assert.Equal(batch.Row("x", row)[5], reader.GetFloat(1));
            row++;
        }
        Assert.Equal(50, row);
    }

    private static void Mentions(string message, string expected) => ParquetHostileTests.Mentions(message, expected);

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private string Scalar(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture)!;
    }
}
