using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Quorum.Cli;
using Quorum.Configuration;
using Quorum.Kubernetes;

namespace Quorum.Benchmarks.EndToEnd;

/// <summary>What one scheduler achieved on the API server, from its start to the last pod bound.</summary>
public sealed record E2eResult(
    string Scheduler,
    int Pods,
    int Bound,
    double FirstBindSeconds,
    double AllBoundSeconds,
    double PodsPerSecond,
    double SteadyPodsPerSecond,
    double GroupLatencyP50Seconds,
    double GroupLatencyP99Seconds,
    double? ApiRequestsPerBoundPod,
    bool GangsWhole);

/// <summary>
/// The e2e verb: the whole scheduler against a real API server. Creates labelled fake GPU nodes, then
/// for each scheduler in turn a namespace of pending pods (gangs with a required NVLink level, or single
/// pods), starts the scheduler (Quorum's host exactly as <c>quorum run</c> builds it; kube-scheduler as a
/// process; a bare binder that only POSTs bindings), and times every bind as a watch sees it. Every
/// scheduler runs under the same client limits. Deletes what it created.
/// </summary>
public static class E2eCommand
{
    private const string QuorumName = "quorum-e2e";
    private const string KubeSchedulerName = "kube-e2e";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(string[] args)
    {
        var (o, error) = E2eOptions.Parse(args);
        if (o is null)
        {
            if (error is not null) Console.Error.WriteLine($"error: {error}");
            Console.Error.WriteLine(E2eOptions.Usage);
            return error is null ? 0 : 2;
        }
        return RunAsync(o).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(E2eOptions o)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(o.Kubeconfig);
        using var admin = new k8s.Kubernetes(config);
        var run = Guid.NewGuid().ToString("N")[..6];
        var cluster = new E2eCluster(admin, o, run);
        var results = new List<E2eResult>();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var shape = o.GangSize > 0 ? $"{o.Pods / o.GangSize} gangs of {o.GangSize} (required NVLink clique)" : "single pods";
        Console.WriteLine($"e2e: {o.Nodes} nodes × {E2eCluster.GpusPerNode} GPUs, {o.Pods} one-GPU pods as {shape}; client qps {o.Qps}, burst {o.Burst}; bind parallelism {o.BindParallelism}");
        if (o.IdleSeconds > 0)
        {
            try
            {
                await cluster.SetUpAsync(cancel.Token).ConfigureAwait(false);
                return await IdleAsync(config, o, cluster, cancel.Token).ConfigureAwait(false);
            }
            finally
            {
                await cluster.CleanUpAsync().ConfigureAwait(false);
            }
        }
        try
        {
            await cluster.SetUpAsync(cancel.Token).ConfigureAwait(false);
            results.Add(await PhaseAsync("quorum", QuorumName, podGroups: true, ns => StartQuorum(config, o, cluster), o, cluster, admin, cancel.Token).ConfigureAwait(false));
            if (o.CompareKubeScheduler is { } bin)
                results.Add(await PhaseAsync("kube-scheduler", KubeSchedulerName, podGroups: false, _ => StartKubeScheduler(bin, o), o, cluster, admin, cancel.Token).ConfigureAwait(false));
            results.Add(await PhaseAsync("bare-binder", "bare-binder", podGroups: false, ns => StartBareBinder(config, o, run, ns), o, cluster, admin, cancel.Token).ConfigureAwait(false));
        }
        finally
        {
            await cluster.CleanUpAsync().ConfigureAwait(false);
        }

        Console.WriteLine();
        Console.WriteLine($"{"scheduler",-15} {"bound",7} {"first s",8} {"all s",8} {"pods/s",8} {"steady/s",9} {"grp p50 s",10} {"grp p99 s",10} {"req/pod",8} {"whole",6}");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Scheduler,-15} {r.Bound,7} {r.FirstBindSeconds,8:F2} {r.AllBoundSeconds,8:F2} {r.PodsPerSecond,8:F0} {r.SteadyPodsPerSecond,9:F0} {r.GroupLatencyP50Seconds,10:F2} {r.GroupLatencyP99Seconds,10:F2} {(r.ApiRequestsPerBoundPod is { } q ? q.ToString("F2", CultureInfo.InvariantCulture) : "n/a"),8} {(o.GangSize > 0 ? r.GangsWhole ? "yes" : "NO" : "-"),6}"));
        var quorum = results[0];
        var bare = results[^1];
        var versus = results.Count == 3 ? FormattableString.Invariant($" and {quorum.PodsPerSecond / results[1].PodsPerSecond:F1}× kube-scheduler's") : "";
        Console.WriteLine(FormattableString.Invariant($"Quorum reaches {quorum.PodsPerSecond / bare.PodsPerSecond:P0} of the bare binder's pods/s{versus}"));
        Console.WriteLine("pods/s: pods bound / seconds from the scheduler's start to the last bind; steady/s: from the first bind to the last;");
        Console.WriteLine("grp: per gang (per pod for single pods), seconds from the scheduler's start to the group's last bind;");
        Console.WriteLine("req/pod: the API server's apiserver_request_total growth during the run, less the benchmark's own requests, per bound pod.");
        if (o.JsonFile is { } file)
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { options = new { o.Nodes, o.Pods, o.GangSize, o.Qps, o.Burst, o.BindParallelism }, results },
                Json)).ConfigureAwait(false);
            Console.WriteLine($"wrote {file}");
        }
        return results.All(r => r.Bound == r.Pods && (o.GangSize == 0 || r.GangsWhole || r.Scheduler != "quorum")) ? 0 : 1;
    }

    /// <summary>
    /// Quorum's host with nothing to schedule, for <c>--idle-seconds</c>: idle ticks, watch restarts and
    /// probes must not grow the heap. The heap is measured after a full collection, once the caches
    /// have synced and settled (30 s) and again at the end.
    /// </summary>
    private static async Task<int> IdleAsync(KubernetesClientConfiguration config, E2eOptions o, E2eCluster cluster, CancellationToken ct)
    {
        await using var quorum = await StartQuorum(config, o, cluster).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        var start = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(FormattableString.Invariant($"idle: managed heap {start / 1024.0 / 1024:F1} MiB after 30 s; idling {o.IdleSeconds} s"));
        var samples = new List<long> { start };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < o.IdleSeconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, o.IdleSeconds)), ct).ConfigureAwait(false);
            samples.Add(GC.GetTotalMemory(forceFullCollection: true));
        }
        var end = samples[^1];
        Console.WriteLine(FormattableString.Invariant($"idle: managed heap {start / 1024.0 / 1024:F1} MiB at start, {end / 1024.0 / 1024:F1} MiB after {clock.Elapsed.TotalSeconds:F0} s (samples: {string.Join(", ", samples.Select(b => (b / 1024.0 / 1024).ToString("F1", CultureInfo.InvariantCulture)))} MiB)"));
        if (o.JsonFile is { } file)
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { idleSeconds = o.IdleSeconds, heapBytes = samples }, Json), ct).ConfigureAwait(false);
        return 0;
    }

    private static async Task<E2eResult> PhaseAsync(string label, string schedulerName, bool podGroups, Func<string, Task<IAsyncDisposable>> start,
        E2eOptions o, E2eCluster cluster, IKubernetes admin, CancellationToken ct)
    {
        var ns = $"e2e-{label}-{Guid.NewGuid():N}"[..30].TrimEnd('-');
        Console.WriteLine($"{label}: creating {o.Pods} pods in {ns}");
        var names = await cluster.CreateWorkloadAsync(ns, schedulerName, podGroups, ct).ConfigureAwait(false);
        try
        {
            await using var tracker = await BindTracker.StartAsync(admin, ns, ct).ConfigureAwait(false);
            var requestsBefore = await ApiRequestsAsync(o.Kubeconfig).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            Console.WriteLine($"{label}: started");
            var scheduler = await start(ns).ConfigureAwait(false);
            try
            {
                await tracker.WaitAsync(names.Count, o.Timeout, ct).ConfigureAwait(false);
            }
            finally
            {
                await scheduler.DisposeAsync().ConfigureAwait(false);
            }
            var requestsAfter = await ApiRequestsAsync(o.Kubeconfig).ConfigureAwait(false);
            var bound = tracker.Bound;
            double Since(long t) => Stopwatch.GetElapsedTime(started, t).TotalSeconds;
            var times = bound.Values.Select(Since).Order().ToList();
            var groups = names.GroupBy(n => o.GangSize > 0 ? n[..n.IndexOf('-', StringComparison.Ordinal)] : n)
                .Select(g => g.All(bound.ContainsKey) ? g.Max(n => Since(bound[n])) : double.PositiveInfinity).Order().ToList();
            // Gangs whole: every gang either fully bound or not at all, and inside one clique.
            var whole = o.GangSize == 0 || names.GroupBy(n => n[..n.IndexOf('-', StringComparison.Ordinal)])
                .All(g => !g.Any(bound.ContainsKey) || g.All(bound.ContainsKey) && g.Select(n => tracker.Nodes[n]).Select(CliqueOf).Distinct().Count() == 1);
            var all = times.Count > 0 ? times[^1] : double.NaN;
            var first = times.Count > 0 ? times[0] : double.NaN;
            double? perPod = requestsBefore is { } b && requestsAfter is { } a && !bound.IsEmpty
                ? (a - b - tracker.OwnRequests - 1) / (double)bound.Count : null;
            var result = new E2eResult(label, names.Count, bound.Count, first, all, bound.Count / all,
                times.Count > 1 ? (times.Count - 1) / (all - first) : double.NaN, Percentile(groups, 0.50), Percentile(groups, 0.99), perPod, whole);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {bound.Count}/{names.Count} bound in {all:F2} s"));
            return result;
        }
        finally
        {
            await cluster.DeleteWorkloadAsync(ns).ConfigureAwait(false);
        }
    }

    private static string CliqueOf(string node) =>
        (int.Parse(node[(node.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture) / E2eCluster.NodesPerClique).ToString(CultureInfo.InvariantCulture);

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    // ---- Schedulers ------------------------------------------------------------------------------

    /// <summary>Quorum's host as <c>quorum run</c> builds it (RunCommand.Build, the client behind its rate limiter), in this process.</summary>
    private static async Task<IAsyncDisposable> StartQuorum(KubernetesClientConfiguration config, E2eOptions o, E2eCluster cluster)
    {
        // One line per pass would drown the figures.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        var options = new SchedulerOptions
        {
            SchedulerNames = [QuorumName],
            DefaultTopology = cluster.TopologyName,
            HealthzBindAddress = "127.0.0.1:0",
            GrpcBindAddress = "127.0.0.1:0",
            BindParallelism = o.BindParallelism,
        };
        options.ClientConnection.Qps = o.Qps;
        options.ClientConnection.Burst = o.Burst;
        options.LeaderElection.LeaderElect = false;
        var limiter = new ClientRateLimitHandler(o.Qps, o.Burst);
        var client = new k8s.Kubernetes(config, limiter);
        var app = RunCommand.Build(options, client, "quorum-e2e");
        await app.StartAsync().ConfigureAwait(false);
        return new Stopper(async () =>
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            limiter.Dispose();
        });
    }

    /// <summary>kube-scheduler as a process: its own config (scheduler name, client limits, no leader election).</summary>
    private static Task<IAsyncDisposable> StartKubeScheduler(string bin, E2eOptions o)
    {
        var minor = KubeMinor(bin);
        var dir = Directory.CreateTempSubdirectory("quorum-e2e-kube-scheduler-");
        var port = FreePort();
        var apiVersion = minor switch { < 22 => "v1beta1", < 25 => "v1beta2", _ => "v1" };
        // Before 1.23 health and metrics have their own plain-HTTP address; later only the secure port serves them.
        var addresses = minor < 23 ? $"healthzBindAddress: 127.0.0.1:{port}\nmetricsBindAddress: 127.0.0.1:{port}\n" : "";
        var configFile = Path.Combine(dir.FullName, "config.yaml");
        File.WriteAllText(configFile, string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: kubescheduler.config.k8s.io/{apiVersion}
            kind: KubeSchedulerConfiguration
            {addresses}clientConnection:
              kubeconfig: {Path.GetFullPath(o.Kubeconfig)}
              qps: {o.Qps}
              burst: {o.Burst}
            leaderElection:
              leaderElect: false
            profiles:
            - schedulerName: {KubeSchedulerName}

            """));
        var log = Path.Combine(dir.FullName, "kube-scheduler.log");
        var psi = new ProcessStartInfo(bin)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add($"--config={configFile}");
        psi.ArgumentList.Add(minor < 23 ? "--secure-port=0" : $"--secure-port={port}");
        psi.ArgumentList.Add("--v=1");
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {bin}");
        var output = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Console.WriteLine($"kube-scheduler 1.{minor} (pid {process.Id}); log {log}");
        return Task.FromResult<IAsyncDisposable>(new Stopper(async () =>
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
            lock (output) output.Dispose();
        }));
    }

    private static int KubeMinor(string bin)
    {
        using var p = Process.Start(new ProcessStartInfo(bin, "--version") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"cannot run {bin} --version");
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var m = Regex.Match(text, @"v1\.(\d+)\.");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{bin} --version printed no Kubernetes version: {text.Trim()}");
    }

    /// <summary>
    /// The ceiling: a binder that decides nothing and only POSTs bindings, P at a time, under the same
    /// client limits; pods go to the nodes in order, eight to a node.
    /// </summary>
    private static Task<IAsyncDisposable> StartBareBinder(KubernetesClientConfiguration config, E2eOptions o, string run, string ns)
    {
        var limiter = new ClientRateLimitHandler(o.Qps, o.Burst);
        var client = new k8s.Kubernetes(config, limiter);
        var cts = new CancellationTokenSource();
        var work = Task.Run(async () =>
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cts.Token).ConfigureAwait(false);
            var ordered = pods.Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal).Select((name, i) => (name, i)).ToList();
            await Parallel.ForEachAsync(ordered, new ParallelOptions { MaxDegreeOfParallelism = o.BindParallelism, CancellationToken = cts.Token }, async (p, token) =>
                await client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
                {
                    Metadata = new V1ObjectMeta { Name = p.name, NamespaceProperty = ns },
                    Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = E2eCluster.NodeName(run, p.i / E2eCluster.GpusPerNode) },
                }, p.name, ns, cancellationToken: token).ConfigureAwait(false)).ConfigureAwait(false);
        });
        return Task.FromResult<IAsyncDisposable>(new Stopper(async () =>
        {
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            cts.Dispose();
            client.Dispose();
            limiter.Dispose();
        }));
    }

    // ---- Measuring -------------------------------------------------------------------------------

    /// <summary>The API server's apiserver_request_total, summed over every label set (kubectl get --raw /metrics); null without kubectl.</summary>
    private static async Task<long?> ApiRequestsAsync(string kubeconfig)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("kubectl") { ArgumentList = { "--kubeconfig", kubeconfig, "get", "--raw", "/metrics" }, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null) return null;
            var text = await p.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await p.WaitForExitAsync().ConfigureAwait(false);
            if (p.ExitCode != 0) return null;
            long sum = 0;
            foreach (var line in text.Split('\n'))
            {
                if (!line.StartsWith("apiserver_request_total{", StringComparison.Ordinal)) continue;
                sum += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            return sum;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class Stopper(Func<Task> stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await stop().ConfigureAwait(false);
    }

    /// <summary>Watches one namespace's pods and notes when each is first seen bound, and where.</summary>
    private sealed class BindTracker : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _watch = Task.CompletedTask;
        private volatile TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentDictionary<string, long> Bound { get; } = new();
        public ConcurrentDictionary<string, string> Nodes { get; } = new();

        /// <summary>Requests this tracker made (lists and watches), subtracted from the API server's count.</summary>
        public int OwnRequests;

        public static async Task<BindTracker> StartAsync(IKubernetes client, string ns, CancellationToken ct)
        {
            var t = new BindTracker();
            var list = await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct).ConfigureAwait(false);
            foreach (var p in list.Items) t.See(p);
            var rv = list.Metadata.ResourceVersion;
            t._watch = Task.Run(async () =>
            {
                while (!t._stop.IsCancellationRequested)
                {
                    try
                    {
                        Interlocked.Increment(ref t.OwnRequests);
                        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: true, resourceVersion: rv,
                            timeoutSeconds: 300, cancellationToken: t._stop.Token).ConfigureAwait(false))
                        {
                            rv = pod.Metadata?.ResourceVersion ?? rv;
                            if (type is WatchEventType.Added or WatchEventType.Modified) t.See(pod);
                        }
                    }
                    catch (OperationCanceledException) when (t._stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException)
                    {
                        await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }, CancellationToken.None);
            return t;
        }

        private void See(V1Pod pod)
        {
            if (string.IsNullOrEmpty(pod.Spec?.NodeName) || !Bound.TryAdd(pod.Metadata.Name, Stopwatch.GetTimestamp())) return;
            Nodes[pod.Metadata.Name] = pod.Spec.NodeName;
            _signal.TrySetResult();
        }

        public async Task WaitAsync(int count, TimeSpan timeout, CancellationToken ct)
        {
            var deadline = Stopwatch.StartNew();
            while (Bound.Count < count && deadline.Elapsed < timeout)
            {
                var signal = _signal;
                if (Bound.Count >= count) break;
                try
                {
                    await signal.Task.WaitAsync(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                if (signal.Task.IsCompleted) _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _watch.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            _stop.Dispose();
        }
    }
}
