using System.Text.Json;
using System.Text.Json.Serialization;
using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>
/// The whole --json document: "summary" always (the Quorum run; the largest size of a sweep);
/// "compare" with --compare and "sweep" (plus "plot") with --sweep carry every figure of each run.
/// </summary>
public sealed record SimulationJson(SummaryJson Summary)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public IReadOnlyDictionary<string, SimulationReport>? Compare { get; init; }
    public IReadOnlyList<SimulationReport>? Sweep { get; init; }
    public string? Plot { get; init; }

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options) + Environment.NewLine);
}
