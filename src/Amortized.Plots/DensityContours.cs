namespace Amortized.Plots;

/// <summary>
/// Highest-density contours of 2-D draws for the pairs plot: a 2-D histogram on a grid over the panel's limits,
/// smoothed twice by a 3 x 3 binomial kernel (a cheap Gaussian KDE), cut at the density levels whose
/// superlevel sets hold the requested posterior mass, and traced by marching squares into line segments.
/// </summary>
internal static class DensityContours
{
    /// <summary>Cells per axis: fine enough for a 300-pixel panel, coarse enough that 2000 draws fill it.</summary>
    private const int GridSize = 40;

    /// <summary>
    /// Line segments (x0, y0, x1, y1) of the contours enclosing each fraction of <paramref name="masses"/> of the
    /// draws (x, y), within the rectangle <paramref name="xLimits"/> x <paramref name="yLimits"/>.
    /// </summary>
    public static List<(double X0, double Y0, double X1, double Y1)> Segments(double[] x, double[] y,
        (double Low, double High) xLimits, (double Low, double High) yLimits, IReadOnlyList<double> masses)
    {
        var segments = new List<(double, double, double, double)>();
        double width = xLimits.High - xLimits.Low, height = yLimits.High - yLimits.Low;
        if (x.Length < 10 || !(width > 0) || !(height > 0)) return segments;
        var density = new double[GridSize, GridSize];
        for (int i = 0; i < x.Length; i++)
        {
            int cx = (int)Math.Floor((x[i] - xLimits.Low) / width * GridSize);
            int cy = (int)Math.Floor((y[i] - yLimits.Low) / height * GridSize);
            if ((uint)cx < GridSize && (uint)cy < GridSize) density[cx, cy]++;
        }
        density = Smooth(Smooth(density));

        double[] sorted = [.. density.Cast<double>().OrderByDescending(v => v)];
        double total = sorted.Sum();
        if (!(total > 0)) return segments;
        double cellX = width / GridSize, cellY = height / GridSize;
        foreach (double mass in masses)
        {
            // The density level whose superlevel set first holds the mass: cells are added from the densest.
            double level = sorted[^1], cumulative = 0;
            foreach (double v in sorted)
            {
                cumulative += v;
                if (cumulative >= mass * total)
                {
                    level = v;
                    break;
                }
            }
            if (!(level > 0)) continue;
            Trace(density, level, xLimits.Low + cellX / 2, yLimits.Low + cellY / 2, cellX, cellY, segments);
        }
        return segments;
    }

    private static double[,] Smooth(double[,] v)
    {
        int n = v.GetLength(0);
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, weights = 0;
                for (int di = -1; di <= 1; di++)
                    for (int dj = -1; dj <= 1; dj++)
                    {
                        int a = i + di, b = j + dj;
                        if ((uint)a >= n || (uint)b >= n) continue;
                        double w = (di == 0 ? 2 : 1) * (dj == 0 ? 2 : 1);
                        sum += w * v[a, b];
                        weights += w;
                    }
                result[i, j] = sum / weights;
            }
        return result;
    }

    /// <summary>Marching squares over cell centres (x0 + i dx, y0 + j dy); a saddle gives two segments.</summary>
    private static void Trace(double[,] v, double level, double x0, double y0, double dx, double dy,
        List<(double, double, double, double)> segments)
    {
        int n = v.GetLength(0);
        Span<(double X, double Y)> points = stackalloc (double, double)[4];
        for (int i = 0; i + 1 < n; i++)
            for (int j = 0; j + 1 < n; j++)
            {
                // Corners counter-clockwise from (i, j); edge k joins corner k and corner k + 1.
                double c0 = v[i, j], c1 = v[i + 1, j], c2 = v[i + 1, j + 1], c3 = v[i, j + 1];
                int count = 0;
                void Edge(double a, double b, double ax, double ay, double bx, double by, Span<(double, double)> p)
                {
                    if ((a >= level) == (b >= level)) return;
                    double t = (level - a) / (b - a);
                    p[count++] = (ax + t * (bx - ax), ay + t * (by - ay));
                }
                double xi = x0 + i * dx, yj = y0 + j * dy;
                Edge(c0, c1, xi, yj, xi + dx, yj, points);
                Edge(c1, c2, xi + dx, yj, xi + dx, yj + dy, points);
                Edge(c2, c3, xi + dx, yj + dy, xi, yj + dy, points);
                Edge(c3, c0, xi, yj + dy, xi, yj, points);
                if (count >= 2) segments.Add((points[0].X, points[0].Y, points[1].X, points[1].Y));
                if (count == 4) segments.Add((points[2].X, points[2].Y, points[3].X, points[3].Y));
            }
    }
}
