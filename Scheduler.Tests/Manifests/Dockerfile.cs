using System.Text.Json;

namespace Quorum.Tests.Manifests;

/// <summary>One Dockerfile instruction: keyword (upper case), its --flags, and its arguments.</summary>
internal sealed record DockerInstruction(string Keyword, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Args);

/// <summary>A build stage: its base image, name (AS) and instructions in order.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();
}

/// <summary>
/// A Dockerfile read as BuildKit's parser reads it: comments and blank lines skipped, backslash line
/// continuations joined, JSON (exec) or whitespace-separated (shell) arguments, leading --flags.
/// Enough to check and replay ours; heredocs and ARG substitution are not supported.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    public static Dockerfile Parse(string text)
    {
        var logical = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (current.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)) continue;
            if (line.TrimStart().StartsWith('#')) continue; // a comment inside a continued instruction
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }
            logical.Add(current + line);
            current = "";
        }
        if (current.Length > 0) logical.Add(current);

        var stages = new List<DockerStage>();
        List<DockerInstruction>? instructions = null;
        foreach (var line in logical)
        {
            var trimmed = line.Trim();
            var space = trimmed.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? trimmed : trimmed[..space]).ToUpperInvariant();
            var rest = space < 0 ? "" : trimmed[(space + 1)..].Trim();
            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = rest.IndexOfAny([' ', '\t']);
                var flag = end < 0 ? rest : rest[..end];
                var kv = flag[2..].Split('=', 2);
                flags[kv[0]] = kv.Length > 1 ? kv[1] : "true";
                rest = end < 0 ? "" : rest[end..].TrimStart();
            }
            IReadOnlyList<string> args = rest.StartsWith('[') && keyword is "ENTRYPOINT" or "CMD" or "RUN" or "COPY" or "ADD" or "SHELL" or "VOLUME"
                ? JsonSerializer.Deserialize<List<string>>(rest)!
                : keyword is "ENV" or "LABEL" or "ARG" ? [rest] : rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (keyword == "FROM")
            {
                instructions = [];
                var name = args.Count == 3 && args[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? args[2] : null;
                stages.Add(new DockerStage(args[0], name, instructions));
                continue;
            }
            if (instructions is null) throw new FormatException($"{keyword} before the first FROM");
            instructions.Add(new DockerInstruction(keyword, flags, args));
        }
        return new Dockerfile(stages);
    }
}
