using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.FileFormats;

public sealed class CsvTests
{
    private static string WriteText(SimulationBatch batch)
    {
        var writer = new StringWriter();
        Csv.Write(writer, batch);
        return writer.ToString();
    }

    private static SimulationBatch ReadText(string text) => Csv.Read(new StringReader(text), "test.csv");

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i])) Assert.True(float.IsNaN(actual[i]), $"element {i}: expected NaN, got {actual[i]}");
            else Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void WriteRead_Float32Extremes_RoundTripBitExact()
    {
        float[] values =
        [
            1e-38f, 3e38f, -0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue,
            float.MinValue, float.Epsilon, -float.Epsilon, 1.17549435e-38f, 0.1f, 1f / 3, -1f, 1f, 16_777_217f, 1e20f,
        ];
        var batch = new SimulationBatch(values.Length).Set("v", values, values.Length);
        SimulationBatch back = ReadText(WriteText(batch));
        AssertSameBits(values, back.Get("v"));
        Assert.False(back.IsInteger("v"));
    }

    [Fact]
    public void WriteRead_RandomBitPatterns_RoundTripBitExact()
    {
        var rng = new Rng(20230828);
        var values = new float[2000];
        for (int i = 0; i < values.Length; i++)
        {
            float v;
            do v = BitConverter.Int32BitsToSingle((int)rng.NextUInt32());
            while (!float.IsFinite(v));
            values[i] = v;
        }
        var batch = new SimulationBatch(1000).Set("x", values, 1000, 2);
        AssertSameBits(values, ReadText(WriteText(batch)).Get("x"));
    }

    [Fact]
    public void WriteRead_MultiDimensionalAndIntegerKeys_ShapesFlagsAndOrderRestored()
    {
        var batch = new SimulationBatch(2)
            .Set("theta", [1.5f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12.25f], 2, 2, 3)
            .SetIntegers("n", [16_777_216, -3], 2)
            .SetIntegers("counts", [0, 1, 2, 3], 2, 2)
            .Set("mu", [1f, 2f], 2);
        string text = WriteText(batch);
        Assert.StartsWith("\"theta[0,0]\",\"theta[0,1]\",", text, StringComparison.Ordinal);
        Assert.Contains(",n,counts[0],counts[1],mu\n", text, StringComparison.Ordinal);
        Assert.Contains(",16777216,", text, StringComparison.Ordinal);
        Assert.EndsWith(",2,3,2.0\n", text, StringComparison.Ordinal); // float column with integral values keeps ".0"

        SimulationBatch back = ReadText(text);
        Assert.Equal(["theta", "n", "counts", "mu"], back.Keys);
        Assert.Equal([2, 2, 3], back.Shape("theta").ToArray());
        Assert.Equal(batch.Get("theta"), back.Get("theta"));
        Assert.Equal([2, 2], back.Shape("counts").ToArray());
        Assert.True(back.IsInteger("n"));
        Assert.True(back.IsInteger("counts"));
        Assert.False(back.IsInteger("mu"));
        Assert.False(back.IsInteger("theta"));
        Assert.Equal([16_777_216, -3], back.GetIntegers("n"));
        Assert.Equal([0, 1, 2, 3], back.GetIntegers("counts"));
        Assert.Equal([2], back.Shape("mu").ToArray());
    }

    [Fact]
    public void ReadTable_ColumnsInAnyOrder_RestoredToCOrder()
    {
        SimulationBatch b = ReadText("\"x[1, 0]\",\"x[0,1]\",\"x[0,0]\",\"x[1,1]\"\n10,1,0,11\n");
        Assert.Equal([1, 2, 2], b.Shape("x").ToArray());
        Assert.Equal([0f, 1, 10, 11], b.Get("x"));
    }

    [Fact]
    public void ReadTable_IncompleteIndexGrid_KeepsLiteralColumnNames()
    {
        SimulationBatch b = ReadText("\"x[0]\",\"x[2]\",y,\"y[0]\"\n1,2,3,4\n");
        Assert.Equal(["x[0]", "x[2]", "y", "y[0]"], b.Keys);
        Assert.Equal([1], b.Shape("x[2]").ToArray());
        Assert.Equal([2f], b.Get("x[2]"));
    }

    [Fact]
    public void WriteReadTable_NamesNeedingQuotes_RoundTrip()
    {
        string[] names = ["a,b", "say \"hi\"", "two\nlines", " padded ", "plain"];
        var table = new CsvTable(1);
        for (int i = 0; i < names.Length; i++) table.Add(names[i], [i + 0.5f]);
        var writer = new StringWriter();
        Csv.WriteTable(writer, table);
        CsvTable back = Csv.ReadTable(new StringReader(writer.ToString()));
        Assert.Equal(names, back.ColumnNames);
        for (int i = 0; i < names.Length; i++) Assert.Equal([i + 0.5f], back.Values(names[i]));
    }

    [Fact]
    public void ReadTable_NumPyStyleText_CrLfBomBlankLinesAndSpecials()
    {
        string text = "\uFEFFa,b\r\n1e-38,nan\r\n\r\n-0.0,-inf\r\n3.0E+38,INF\r\n";
        CsvTable t = Csv.ReadTable(new StringReader(text));
        Assert.Equal(["a", "b"], t.ColumnNames);
        Assert.Equal(3, t.RowCount);
        Assert.Equal(1e-38f, t.Values("a")[0]);
        Assert.True(float.IsNegative(t.Values("a")[1]));
        Assert.Equal(3e38f, t.Values("a")[2]);
        Assert.True(float.IsNaN(t.Values("b")[0]));
        Assert.Equal(float.NegativeInfinity, t.Values("b")[1]);
        Assert.Equal(float.PositiveInfinity, t.Values("b")[2]);
    }

    [Fact]
    public void ReadTable_HeaderOnly_ZeroRows()
    {
        SimulationBatch b = ReadText("x,\"y[0]\"\n");
        Assert.Equal(0, b.BatchSize);
        Assert.Equal([0, 1], b.Shape("y").ToArray());
    }

    [Fact]
    public void WriteRead_File_RoundTrips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amortized-csv-{Environment.ProcessId}-{Guid.NewGuid():N}.csv");
        try
        {
            var batch = new SimulationBatch(3).Set("x", [1, 2, 3, 4, 5, 6], 3, 2).SetIntegers("k", [7, 8, 9], 3);
            Csv.Write(path, batch);
            SimulationBatch back = Csv.Read(path);
            Assert.Equal(batch.Get("x"), back.Get("x"));
            Assert.Equal([7, 8, 9], back.GetIntegers("k"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Read_RaggedRow_NamesLineAndCounts()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("a,b,c\n1,2,3\n4,5\n"));
        Assert.Contains("test.csv, line 3", e.Message);
        Assert.Contains("2 fields", e.Message);
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void Read_NonNumericValue_NamesLineColumnAndValue()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("a,\"b[0]\"\n1,2\n3,abc\n"));
        Assert.Contains("line 3, column 2 ('b[0]')", e.Message);
        Assert.Contains("'abc' is not a number", e.Message);
    }

    [Fact]
    public void Read_LineNumbersCountQuotedLineBreaks()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("\"multi\nline\",b\n1,2\nx,3\n"));
        Assert.Contains("line 4, column 1", e.Message);
    }

    [Fact]
    public void Read_EmptyOrBlankInput_ClearError()
    {
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => ReadText("")).Message);
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => ReadText("\n  \n")).Message);
    }

    [Fact]
    public void Read_DuplicateHeader_NamesBothColumns()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("a,b,a\n1,2,3\n"));
        Assert.Contains("line 1, column 3", e.Message);
        Assert.Contains("duplicate header 'a'", e.Message);
        Assert.Contains("column 1", e.Message);
    }

    [Fact]
    public void Read_EmptyValueOverflowAndUnclosedQuote_ClearErrors()
    {
        var empty = Assert.Throws<InvalidDataException>(() => ReadText("a,b\n1,\n"));
        Assert.Contains("line 2, column 2 ('b')", empty.Message);
        Assert.Contains("empty", empty.Message);

        var overflow = Assert.Throws<InvalidDataException>(() => ReadText("a\n1e39\n"));
        Assert.Contains("float32 range", overflow.Message);

        var quote = Assert.Throws<InvalidDataException>(() => ReadText("a,b\n1,\"2\n"));
        Assert.Contains("line 2", quote.Message);
        Assert.Contains("never closed", quote.Message);

        var afterQuote = Assert.Throws<InvalidDataException>(() => ReadText("\"a\"x,b\n"));
        Assert.Contains("after the closing quote", afterQuote.Message);
    }

    [Fact]
    public void CsvTable_DuplicateOrWrongLengthColumn_Throws()
    {
        var table = new CsvTable(2).Add("a", [1, 2]);
        Assert.Contains("already exists", Assert.Throws<ArgumentException>(() => table.Add("a", [3, 4])).Message);
        Assert.Contains("expected 2 rows", Assert.Throws<ArgumentException>(() => table.Add("b", [3])).Message);
    }
}
