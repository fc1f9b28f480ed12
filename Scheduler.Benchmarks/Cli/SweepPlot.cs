using Quorum.Benchmarks.Simulation;
using ScottPlot;

namespace Quorum.Benchmarks.Cli;

/// <summary>
/// The sweep's PNG: per-group decision latency (p50, p99) and managed memory per node against
/// cluster size, side by side, node counts on a log scale so 1k, 10k and 100k are evenly spaced.
/// </summary>
public static class SweepPlot
{
    public static void Save(IReadOnlyList<SimulationReport> runs, string path)
    {
        var xs = runs.Select(r => Math.Log10(r.Nodes)).ToArray();
        var ticks = runs.Select(r => r.Nodes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        var latency = new Plot();
        var p50 = latency.Add.Scatter(xs, runs.Select(r => r.LatencyMs.P50).ToArray());
        p50.LegendText = "p50";
        var p99 = latency.Add.Scatter(xs, runs.Select(r => r.LatencyMs.P99).ToArray());
        p99.LegendText = "p99";
        latency.Title("Per-group decision latency");
        latency.XLabel("nodes");
        latency.YLabel("ms");
        latency.Axes.Bottom.SetTicks(xs, ticks);
        latency.Axes.SetLimitsY(0, Math.Max(1e-3, runs.Max(r => r.LatencyMs.P99)) * 1.15);
        latency.ShowLegend(Alignment.UpperLeft);

        var memory = new Plot();
        memory.Add.Scatter(xs, runs.Select(r => r.ManagedMemoryBytesPerNode / 1024.0).ToArray());
        memory.Title("Managed memory per node");
        memory.XLabel("nodes");
        memory.YLabel("KiB per node");
        memory.Axes.Bottom.SetTicks(xs, ticks);
        memory.Axes.SetLimitsY(0, Math.Max(1, runs.Max(r => r.ManagedMemoryBytesPerNode / 1024.0)) * 1.15);

        foreach (var p in new[] { latency, memory })
        {
            var pad = xs.Length > 1 ? (xs[^1] - xs[0]) * 0.08 : 0.5;
            p.Axes.SetLimitsX(xs[0] - pad, xs[^1] + pad);
        }

        var figure = new Multiplot();
        // A new Multiplot holds one empty plot: replace it rather than add beside it.
        figure.Reset(latency);
        figure.AddPlot(memory);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        figure.SavePng(path, 1200, 480);
    }
}
