using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Quorum.Tests.Hosting;

/// <summary>
/// A minimal scripted API server for smoke tests of the binary: fixed lists, watches held open with no
/// changes, pods/binding (409 when already bound), events, status patches, and Leases with optimistic
/// concurrency. Not the faithful stand-in issue 4 asks for: no watch history, no 410, no selectors.
/// </summary>
internal sealed class ScriptedApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, (JsonObject Lease, int Version)> _leases = [];

    public ConcurrentDictionary<string, string> Binds { get; } = new();
    public ConcurrentQueue<string> BindConflicts { get; } = new();
    public ConcurrentQueue<string> StatusPatches { get; } = new();
    public ConcurrentQueue<string> Events { get; } = new();

    public ScriptedApiServer(string nodes, string pods, string podGroups)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/api/v1/nodes", ctx => ListOrWatch(ctx, "NodeList", nodes));
        _app.MapGet("/api/v1/pods", ctx => ListOrWatch(ctx, "PodList", pods));
        _app.MapGet("/apis/scheduling.k8s.io/v1/priorityclasses", ctx => ListOrWatch(ctx, "PriorityClassList", ""));
        _app.MapGet("/apis/scheduling.quorum.dev/v1alpha1/topologies", ctx => ListOrWatch(ctx, "TopologyList", ""));
        _app.MapGet("/apis/scheduling.quorum.dev/v1alpha1/podgroups", ctx => ListOrWatch(ctx, "PodGroupList", podGroups));
        _app.MapPost("/api/v1/namespaces/{ns}/pods/{name}/binding", async (string name, HttpContext ctx) =>
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            var node = doc.RootElement.GetProperty("target").GetProperty("name").GetString()!;
            if (!Binds.TryAdd(name, node))
            {
                BindConflicts.Enqueue(name);
                ctx.Response.StatusCode = 409;
                await ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "Conflict", code = 409, message = $"pod {name} is already assigned to node \"{Binds[name]}\"" });
                return;
            }
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Success", code = 201 });
        });
        _app.MapPatch("/apis/scheduling.quorum.dev/v1alpha1/namespaces/{ns}/podgroups/{name}/status", async (HttpContext ctx) =>
        {
            StatusPatches.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            await ctx.Response.WriteAsync("{}");
        });
        _app.MapPatch("/api/v1/namespaces/{ns}/pods/{name}/status", (HttpContext ctx) => ctx.Response.WriteAsync("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}"""));
        _app.MapPost("/apis/events.k8s.io/v1/namespaces/{ns}/events", async (HttpContext ctx) =>
        {
            Events.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync("{}");
        });
        _app.MapGet("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}", (string ns, string name, HttpContext ctx) =>
        {
            lock (_leases)
            {
                if (!_leases.TryGetValue($"{ns}/{name}", out var l))
                {
                    ctx.Response.StatusCode = 404;
                    return ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "NotFound", code = 404 });
                }
                return ctx.Response.WriteAsync(l.Lease.ToJsonString());
            }
        });
        _app.MapPost("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", async (string ns, HttpContext ctx) =>
        {
            var lease = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
            var name = lease["metadata"]!["name"]!.GetValue<string>();
            lock (_leases)
            {
                if (_leases.ContainsKey($"{ns}/{name}")) { ctx.Response.StatusCode = 409; return; }
                lease["metadata"]!["resourceVersion"] = "1";
                _leases[$"{ns}/{name}"] = (lease, 1);
            }
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync(lease.ToJsonString());
        });
        _app.MapPut("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}", async (string ns, string name, HttpContext ctx) =>
        {
            var lease = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
            lock (_leases)
            {
                var current = _leases[$"{ns}/{name}"];
                // Optimistic concurrency, as the real server: a stale resourceVersion is a 409.
                if (lease["metadata"]?["resourceVersion"]?.GetValue<string>() != current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    ctx.Response.StatusCode = 409;
                    return;
                }
                lease["metadata"]!["resourceVersion"] = (current.Version + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                _leases[$"{ns}/{name}"] = (lease, current.Version + 1);
            }
            await ctx.Response.WriteAsync(lease.ToJsonString());
        });
    }

    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public string? LeaseHolder(string ns, string name)
    {
        lock (_leases) return _leases.TryGetValue($"{ns}/{name}", out var l) ? l.Lease["spec"]?["holderIdentity"]?.GetValue<string>() : null;
    }

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    private static async Task ListOrWatch(HttpContext ctx, string listKind, string items)
    {
        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Query["watch"] == "true")
        {
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        await ctx.Response.WriteAsync($$"""{"kind":"{{listKind}}","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":[{{items}}]}""");
    }

    public static string Node(string name) => JsonSerializer.Serialize(new
    {
        apiVersion = "v1", kind = "Node",
        metadata = new { name, resourceVersion = "1", labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        status = new { allocatable = new Dictionary<string, string> { ["cpu"] = "64", ["memory"] = "512Gi", ["nvidia.com/gpu"] = "8", ["pods"] = "110" } },
    });

    public static string Pod(string name, string group) => JsonSerializer.Serialize(new
    {
        apiVersion = "v1", kind = "Pod",
        metadata = new { name, @namespace = "ml", resourceVersion = "2", uid = $"uid-{name}", labels = new Dictionary<string, string> { ["scheduling.quorum.dev/pod-group"] = group } },
        spec = new { schedulerName = "quorum", containers = new[] { new { name = "c", resources = new { requests = new Dictionary<string, string> { ["nvidia.com/gpu"] = "8" } } } } },
        status = new { phase = "Pending" },
    });

    public static string PodGroup(string name, int minMember) =>
        $$$"""{"apiVersion":"scheduling.quorum.dev/v1alpha1","kind":"PodGroup","metadata":{"name":"{{{name}}}","namespace":"ml","resourceVersion":"3"},"spec":{"minMember":{{{minMember}}}}}""";
}
