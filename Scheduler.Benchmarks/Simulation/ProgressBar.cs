namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A one-line progress bar on stderr, redrawn in place. Silent when stderr is redirected, so logs
/// and CI output stay free of carriage returns.
/// </summary>
public sealed class ProgressBar(string label)
{
    private const int Width = 30;
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private int _lastDrawn = -1;

    public void Report(double fraction)
    {
        if (!_enabled) return;
        var permille = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 1000);
        if (permille == _lastDrawn) return;
        _lastDrawn = permille;
        var filled = permille * Width / 1000;
        Console.Error.Write($"\r{label,-28} [{new string('#', filled)}{new string('.', Width - filled)}] {permille / 10.0,5:F1}%");
        if (permille == 1000) Console.Error.WriteLine();
    }
}
