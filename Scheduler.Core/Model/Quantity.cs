using System.Globalization;

namespace Quorum.Core.Model;

/// <summary>
/// Parses Kubernetes resource quantities ("500m", "64Gi", "1.5", "2e3") without the client library,
/// so the core and the offline tools agree with the API server on every accepted form.
/// </summary>
public static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024),
        ("Ti", 1024m * 1024 * 1024 * 1024), ("Pi", 1024m * 1024 * 1024 * 1024 * 1024),
        ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m),
        ("k", 1000m), ("M", 1000_000m), ("G", 1000_000_000m), ("T", 1000_000_000_000m),
        ("P", 1000_000_000_000_000m), ("E", 1000_000_000_000_000_000m),
    ];

    /// <summary>Parses a quantity into its exact decimal value.</summary>
    /// <exception cref="FormatException">The text is not a Kubernetes quantity.</exception>
    public static decimal Parse(string text)
    {
        if (!TryParse(text, out var value))
            throw new FormatException($"\"{text}\" is not a valid quantity (expected e.g. 500m, 4, 64Gi)");
        return value;
    }

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        decimal factor = 1;
        foreach (var (suffix, f) in Suffixes)
        {
            if (s.Length > suffix.Length && s.EndsWith(suffix, StringComparison.Ordinal)
                && char.IsDigit(s[^(suffix.Length + 1)]) | s[^(suffix.Length + 1)] == '.')
            {
                factor = f;
                s = s[..^suffix.Length];
                break;
            }
        }
        if (s.Length == 0 || s[0] == '-') return false;
        const NumberStyles styles = NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent | NumberStyles.AllowLeadingSign;
        try
        {
            if (!decimal.TryParse(s, styles, CultureInfo.InvariantCulture, out var number)) return false;
            value = number * factor;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>CPU in millicores, rounded up as the API server does for sub-milli values.</summary>
    public static long ToMilli(decimal value) => checked((long)Math.Ceiling(value * 1000m));

    /// <summary>Whole units, rounded up (Kubernetes' Quantity.Value()).</summary>
    public static long ToUnits(decimal value) => checked((long)Math.Ceiling(value));

    /// <summary>Parses a resource amount into the unit the scheduler counts it in (millicores for cpu).</summary>
    public static long ParseResource(string resourceName, string text)
    {
        var value = Parse(text);
        try
        {
            return resourceName == ResourceNames.Cpu ? ToMilli(value) : ToUnits(value);
        }
        catch (OverflowException)
        {
            throw new FormatException($"\"{text}\" is too large for resource {resourceName}");
        }
    }
}
