using System.Globalization;
using Quorum.Api.V1Alpha1;

namespace Quorum.Cli;

/// <summary>
/// <c>quorum explain pod|podgroup NAME [-n NAMESPACE]</c>: asks the running scheduler why the object
/// waits (its state, queue position and the reasons of the last attempt).
/// </summary>
public static class ExplainCommand
{
    public const string Usage = "usage: quorum explain pod|podgroup NAME [-n NAMESPACE] " + ApiConnection.Flags;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        using var api = new ApiConnection();
        string? kind = null, name = null, ns = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (api.TryParse(args, ref i)) continue;
            switch (args[i])
            {
                case "-n" or "--namespace":
                    ns = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag {args[i]} needs a value");
                    break;
                case var a when a.StartsWith('-'):
                    throw new ArgumentException($"unknown flag {a}");
                case var a when kind is null:
                    kind = a;
                    break;
                case var a when name is null:
                    name = a;
                    break;
                default:
                    throw new ArgumentException($"unexpected argument \"{args[i]}\"");
            }
        }
        // kubectl's TYPE/NAME form too.
        if (kind is not null && name is null && kind.Split('/', 2) is [var k, var n]) (kind, name) = (k, n);
        if (name is null) throw new ArgumentException("name what to explain: pod NAME or podgroup NAME");
        var target = new ObjectRef { Namespace = ns ?? "default", Name = name };
        var request = kind switch
        {
            "pod" or "pods" or "po" => new ExplainRequest { Pod = target },
            "podgroup" or "podgroups" or "pg" => new ExplainRequest { PodGroup = target },
            _ => throw new ArgumentException($"\"{kind}\" is not pod or podgroup"),
        };

        var client = new Scheduler.SchedulerClient(api.Channel());
        var (answer, code) = await api.CallAsync((h, ct) => client.ExplainAsync(request, h, cancellationToken: ct), stderr, cancellationToken).ConfigureAwait(false);
        if (answer is null) return code;
        if (api.Output == "json") await stdout.WriteLineAsync(ApiConnection.Json.Format(answer)).ConfigureAwait(false);
        else Write(answer, stdout);
        return 0;
    }

    private static void Write(ExplainResponse a, TextWriter w)
    {
        w.WriteLine($"{(a.IsPodGroup ? "PodGroup" : "Pod")} {a.Group.Namespace}/{a.Group.Name}: {a.State}");
        if (a.Message.Length > 0) w.WriteLine($"  {a.Message}");
        if (a.Queue is { } q)
        {
            var since = q.FirstRefused is null ? "" : $", first refused {q.FirstRefused.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture)}";
            w.WriteLine($"Queue: position {q.Position} of {q.Length}, lane {q.Lane}, {q.Attempts} failed attempt(s){since}");
        }
        if (a.LastAttempt is { } t)
            w.WriteLine($"Last attempt: {t.Time.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture)}, {(t.Admitted ? "admitted" : t.Reason)}, {t.AlreadyBound} pod(s) already bound");
        else if (!a.Leader)
            w.WriteLine("Last attempt: none here; this instance is a standby (ask the leader)");
        if (a.LastAttempt is { Levels.Count: > 0 })
        {
            w.WriteLine();
            ApiOutput.Levels(w, a.LastAttempt.Levels);
        }
        if (a.Pods.Count > 0)
        {
            w.WriteLine();
            ApiOutput.Pods(w, a.Pods);
        }
    }
}
