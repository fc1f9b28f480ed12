using System.Globalization;
using System.Text.RegularExpressions;

namespace Quorum.Configuration;

/// <summary>Durations written as Kubernetes component configs write them (metav1.Duration: "15s", "1m30s", "500ms").</summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex Part();

    /// <summary>For values already validated at start-up.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"\"{text}\" is not a duration (e.g. 15s, 1m30s)");

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (text == "0") return true;
        if (!Whole().IsMatch(text)) return false;
        double ticks = 0;
        foreach (Match m in Part().Matches(text))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += m.Groups[2].Value switch
            {
                "h" => n * TimeSpan.TicksPerHour,
                "m" => n * TimeSpan.TicksPerMinute,
                "s" => n * TimeSpan.TicksPerSecond,
                "ms" => n * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => n * 10,
                _ => n / 100,
            };
        }
        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }
}
