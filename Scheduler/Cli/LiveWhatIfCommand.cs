using Quorum.Api.V1Alpha1;

namespace Quorum.Cli;

/// <summary>
/// <c>quorum whatif --live -f FILE...</c>: asks the running scheduler whether the PodGroups and Pods
/// in the files would be admitted now, and where. Exit code 1 when any group would not be.
/// </summary>
public static class LiveWhatIfCommand
{
    public const string Usage = "usage: quorum whatif --live -f FILE [-f FILE ...] " + ApiConnection.Flags;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        using var api = new ApiConnection();
        var files = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (api.TryParse(args, ref i)) continue;
            switch (args[i])
            {
                case "--live": break;
                case "-f" or "--filename":
                    files.Add(i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag {args[i]} needs a value"));
                    break;
                default: throw new ArgumentException($"unknown flag {args[i]}");
            }
        }
        if (files.Count == 0) throw new ArgumentException("at least one -f FILE is required");
        string manifests;
        try
        {
            manifests = string.Join("\n---\n", files.Select(f => f == "-" ? Console.In.ReadToEnd() : File.ReadAllText(f)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var client = new Scheduler.SchedulerClient(api.Channel());
        var request = new WhatIfRequest { Manifests = manifests };
        var (answer, code) = await api.CallAsync((h, ct) => client.WhatIfAsync(request, h, cancellationToken: ct), stderr, cancellationToken).ConfigureAwait(false);
        if (answer is null) return code;
        if (api.Output == "json") await stdout.WriteLineAsync(ApiConnection.Json.Format(answer)).ConfigureAwait(false);
        else Write(answer, stdout);
        return answer.Groups.All(g => g.Admitted) ? 0 : 1;
    }

    private static void Write(WhatIfResponse a, TextWriter w)
    {
        WhatIfCommand.Table(w, ["NAMESPACE", "GROUP", "ADMITTED", "QUEUED AHEAD", "REASON"], a.Groups.Select(g => new[]
        {
            g.Group.Namespace, g.Group.Name, g.Admitted ? "yes" : "no", g.QueuedAhead.ToString(System.Globalization.CultureInfo.InvariantCulture), g.Message,
        }));
        foreach (var g in a.Groups)
        {
            w.WriteLine();
            w.WriteLine($"{g.Group.Namespace}/{g.Group.Name}:");
            if (g.Placements.Count > 0)
                WhatIfCommand.Table(w, ["POD", "NODE", "DOMAIN", "SUB-GROUP", "EXTRA"],
                    g.Placements.Select(p => new[] { p.Pod, p.Node, p.Domain, p.SubGroup, p.Extra ? "yes" : "" }));
            ApiOutput.Levels(w, g.Levels);
            if (g.Unplaced.Count > 0) ApiOutput.Pods(w, g.Unplaced);
        }
        w.WriteLine();
        w.WriteLine($"{a.Groups.Count(g => g.Admitted)}/{a.Groups.Count} groups would be admitted now (on the free capacity; nothing was assumed or bound).");
    }
}
