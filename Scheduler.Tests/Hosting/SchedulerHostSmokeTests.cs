using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Cli;
using Quorum.Configuration;

namespace Quorum.Tests.Hosting;

/// <summary>
/// The whole binary against a minimal scripted API server over HTTP: lists, held-open watches,
/// binding, events and status writes. A smoke test of the wiring; the faithful API stand-in with
/// fault injection is still to come (issue 4).
/// </summary>
public class SchedulerHostSmokeTests
{
    private static string Node(string name) => JsonSerializer.Serialize(new
    {
        apiVersion = "v1", kind = "Node",
        metadata = new { name, resourceVersion = "1", labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        status = new { allocatable = new Dictionary<string, string> { ["cpu"] = "64", ["memory"] = "512Gi", ["nvidia.com/gpu"] = "8", ["pods"] = "110" } },
    });

    private static string Pod(string name) => JsonSerializer.Serialize(new
    {
        apiVersion = "v1", kind = "Pod",
        metadata = new { name, @namespace = "ml", resourceVersion = "2", uid = $"uid-{name}", labels = new Dictionary<string, string> { ["scheduling.quorum.dev/pod-group"] = "job" } },
        spec = new { schedulerName = "quorum", containers = new[] { new { name = "c", resources = new { requests = new Dictionary<string, string> { ["nvidia.com/gpu"] = "8" } } } } },
        status = new { phase = "Pending" },
    });

    [Test]
    public async Task A_two_pod_gang_is_bound_on_two_nodes_and_its_group_status_written()
    {
        var binds = new ConcurrentDictionary<string, string>();
        var statusPatches = new ConcurrentQueue<string>();
        var events = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var api = builder.Build();

        async Task ListOrWatch(HttpContext ctx, string listKind, string items)
        {
            ctx.Response.ContentType = "application/json";
            if (ctx.Request.Query["watch"] == "true")
            {
                // Nothing changes: hold the watch open until the client goes away, as the real server does.
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
            await ctx.Response.WriteAsync($$"""{"kind":"{{listKind}}","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":[{{items}}]}""");
        }
        api.MapGet("/api/v1/nodes", ctx => ListOrWatch(ctx, "NodeList", $"{Node("n1")},{Node("n2")}"));
        api.MapGet("/api/v1/pods", ctx => ListOrWatch(ctx, "PodList", $"{Pod("w0")},{Pod("w1")}"));
        api.MapGet("/apis/scheduling.k8s.io/v1/priorityclasses", ctx => ListOrWatch(ctx, "PriorityClassList", ""));
        api.MapGet("/apis/scheduling.quorum.dev/v1alpha1/topologies", ctx => ListOrWatch(ctx, "TopologyList", ""));
        api.MapGet("/apis/scheduling.quorum.dev/v1alpha1/podgroups", ctx => ListOrWatch(ctx, "PodGroupList",
            """{"apiVersion":"scheduling.quorum.dev/v1alpha1","kind":"PodGroup","metadata":{"name":"job","namespace":"ml","resourceVersion":"3"},"spec":{"minMember":2}}"""));
        api.MapPost("/api/v1/namespaces/{ns}/pods/{name}/binding", async (string name, HttpContext ctx) =>
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            binds[name] = doc.RootElement.GetProperty("target").GetProperty("name").GetString()!;
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Success", code = 201 });
        });
        api.MapPatch("/apis/scheduling.quorum.dev/v1alpha1/namespaces/{ns}/podgroups/{name}/status", async (HttpContext ctx) =>
        {
            statusPatches.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            await ctx.Response.WriteAsync("{}");
        });
        api.MapPatch("/api/v1/namespaces/{ns}/pods/{name}/status", (HttpContext ctx) => ctx.Response.WriteAsync(Pod("w0")));
        api.MapPost("/apis/events.k8s.io/v1/namespaces/{ns}/events", async (HttpContext ctx) =>
        {
            events.Enqueue(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync("{}");
        });
        await api.StartAsync();
        var address = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var options = new SchedulerOptions { HealthzBindAddress = "127.0.0.1:0" };
        options.LeaderElection.LeaderElect = false;
        await using var scheduler = RunCommand.Build(options, new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = address }), "smoke");
        await scheduler.StartAsync();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((binds.Count < 2 || statusPatches.IsEmpty) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.That(binds.Keys.Order(), Is.EqualTo(new[] { "w0", "w1" }));
            Assert.That(binds.Values.Order(), Is.EqualTo(new[] { "n1", "n2" }));
            Assert.That(events.Count(e => e.Contains("\"reason\":\"Scheduled\"", StringComparison.Ordinal)), Is.EqualTo(2));
            Assert.That(statusPatches, Has.Some.Contains("\"phase\":\"Scheduled\""));
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await scheduler.StopAsync(stop.Token);
            await api.StopAsync(stop.Token);
        }
    }
}
