using System.Text;
using System.Text.RegularExpressions;

namespace Quorum.Tests.Manifests;

/// <summary>
/// A .dockerignore as moby's patternmatcher applies it to the build context: patterns are cleaned
/// paths relative to the context root, <c>*</c> and <c>?</c> stay inside one path segment, <c>**</c>
/// spans any number of them, a pattern that matches a directory excludes everything under it, and
/// the last matching pattern wins (<c>!</c> re-includes).
/// </summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclusion)> _patterns = [];

    public DockerIgnore(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclusion = line.StartsWith('!');
            if (exclusion) line = line[1..].Trim();
            var cleaned = string.Join('/', line.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "."));
            if (cleaned.Length == 0) continue;
            _patterns.Add((ToRegex(cleaned), exclusion));
        }
    }

    /// <summary>Whether a path (relative to the context root, '/'-separated) is left out of the context.</summary>
    public bool Excludes(string relativePath)
    {
        var segments = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var excluded = false;
        foreach (var (pattern, exclusion) in _patterns)
        {
            // The path itself or any directory above it.
            for (var n = 1; n <= segments.Length; n++)
            {
                if (!pattern.IsMatch(string.Join('/', segments[..n]))) continue;
                excluded = !exclusion;
                break;
            }
        }
        return excluded;
    }

    private static Regex ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                // "**/" matches zero or more directories; a trailing "**" everything below.
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    sb.Append("(.*/)?");
                }
                else
                {
                    sb.Append(".*");
                }
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
