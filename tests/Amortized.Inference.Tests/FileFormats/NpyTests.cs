using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.FileFormats;

/// <summary>Fixtures were written by Debian's python3-numpy 1.24 (Fixtures/make_fixtures.py).</summary>
public sealed class NpyTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Read_NumPyFixtures_ExactValuesShapesAndTypes()
    {
        NpyArray f32 = Npy.Read(Fixture("f32_2x3.npy"));
        Assert.Equal(NpyDType.Float32, f32.DType);
        Assert.Equal(new[] { 2, 3 }, f32.Shape);
        Assert.Equal(new[] { 1.5f, -2.25f, 3.0f, 0.0f, 1e-8f, -7.125f }, (float[])f32.Data);

        NpyArray f64 = Npy.Read(Fixture("f64_3.npy"));
        Assert.Equal(new[] { 0.1, -1e300, 2.5 }, (double[])f64.Data);

        NpyArray i32 = Npy.Read(Fixture("i32_2x2.npy"));
        Assert.Equal(new[] { 1, -2, int.MaxValue, int.MinValue }, (int[])i32.Data);

        NpyArray i64 = Npy.Read(Fixture("i64_3.npy"));
        Assert.Equal(new[] { 1L, -(1L << 40), 1L << 62 }, (long[])i64.Data);

        NpyArray b = Npy.Read(Fixture("bool_4.npy"));
        Assert.Equal(NpyDType.Bool, b.DType);
        Assert.Equal(new[] { true, false, false, true }, (bool[])b.Data);

        NpyArray scalar = Npy.Read(Fixture("f32_scalar.npy"));
        Assert.Empty(scalar.Shape);
        Assert.Equal(new[] { 3.5f }, (float[])scalar.Data);
    }

    [Fact]
    public void Read_FortranOrder_ClearError()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Fixture("f64_fortran.npy")));
        Assert.Contains("fortran_order", e.Message);
    }

    [Fact]
    public void Read_BigEndian_ClearErrorNamingDtype()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Fixture("f32_bigendian.npy")));
        Assert.Contains(">f4", e.Message);
        Assert.Contains("<f4", e.Message);
    }

    [Fact]
    public void Read_TruncatedData_ReportsExpectedAndFoundBytes()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f32_2x3.npy"));
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes[..^5])));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("24 bytes", e.Message);
        Assert.Contains("found 19", e.Message);

        var header = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes[..20])));
        Assert.Contains("truncated", header.Message);
    }

    [Fact]
    public void Read_CorruptedMagic_ClearError()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f32_2x3.npy"));
        bytes[1] = (byte)'X';
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Read_CorruptedHeader_ClearError()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("f32_2x3.npy"));
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("'shape'", StringComparison.Ordinal);
        bytes[at + 1] = (byte)'X'; // 'shape' -> 'shXpe'
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.Contains("'shape'", e.Message);
    }

    [Fact]
    public void WriteThenRead_EveryDType_RoundTripsExactly()
    {
        NpyArray[] arrays =
        [
            new(NpyDType.Float32, [2, 2], new[] { 1f, float.NaN, float.NegativeInfinity, -0f }),
            new(NpyDType.Float64, [3], new[] { 1e-300, 2.0, -3.5 }),
            new(NpyDType.Int32, [1, 2], new[] { 7, -9 }),
            new(NpyDType.Int64, [2], new[] { long.MaxValue, long.MinValue }),
            new(NpyDType.Bool, [3], new[] { true, true, false }),
        ];
        foreach (NpyArray a in arrays)
        {
            var ms = new MemoryStream();
            Npy.Write(ms, a);
            ms.Position = 0;
            NpyArray b = Npy.Read(ms);
            Assert.Equal(a.DType, b.DType);
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.Data, b.Data);
        }
    }

    [Fact]
    public void ReadNpz_PlainAndCompressed_ExactValues()
    {
        Dictionary<string, NpyArray> plain = Npy.ReadNpz(Fixture("plain.npz"));
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5 }, (float[])plain["theta"].Data);
        Assert.Equal(new[] { 3, 2 }, plain["theta"].Shape);
        Assert.Equal(new[] { 10L, 20, 30 }, (long[])plain["n"].Data);

        Dictionary<string, NpyArray> compressed = Npy.ReadNpz(Fixture("compressed.npz"));
        var expected = new float[12];
        for (int i = 0; i < 12; i++) expected[i] = (float)(i * (1.0 / 11));
        Assert.Equal(expected, (float[])compressed["x"].Data);
        Assert.Equal(new[] { true, false, true }, (bool[])compressed["mask"].Data);
    }

    [Fact]
    public void ReadBatch_Npz_IntegersFlagged()
    {
        SimulationBatch batch = Npy.ReadBatch(Fixture("plain.npz"));
        Assert.Equal(3, batch.BatchSize);
        Assert.True(batch.IsInteger("n"));
        Assert.Equal(new[] { 10, 20, 30 }, batch.GetIntegers("n"));
    }

    [Fact]
    public void WriteNpz_Batch_RoundTrips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amortized-npz-{Environment.ProcessId}-{Guid.NewGuid():N}.npz");
        try
        {
            var batch = new SimulationBatch(2).Set("x", [1, 2, 3, 4, 5, 6], 2, 3).Set("y", [7, 8], 2);
            Npy.WriteNpz(path, batch);
            SimulationBatch back = Npy.ReadBatch(path);
            Assert.Equal(batch.Get("x"), back.Get("x"));
            Assert.Equal(new[] { 2, 3 }, back.Shape("x").ToArray());
            Assert.Equal(batch.Get("y"), back.Get("y"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ReadNpz_NotAZip_ClearError()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(Fixture("f32_2x3.npy")));
        Assert.Contains(".npz", e.Message);
    }
}
