using System.Text.Json;
using System.Threading.Channels;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Quorum.Kubernetes;

namespace Quorum.Tests.Kubernetes;

/// <summary>
/// The watcher against a scripted API server over HTTP: list, watch from the list's resourceVersion,
/// resume after a closed stream, and 410 Gone → relist that reports objects deleted meanwhile.
/// </summary>
public class ResourceWatcherTests
{
    private static string Node(string name, string rv) =>
        JsonSerializer.Serialize(new { apiVersion = "v1", kind = "Node", metadata = new { name, resourceVersion = rv } });

    [Test]
    public async Task Resumes_after_a_closed_watch_and_relists_on_410_without_losing_a_delete()
    {
        var watchCalls = new List<string?>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        var lists = 0;
        app.MapGet("/api/v1/nodes", async (HttpContext ctx) =>
        {
            var watch = ctx.Request.Query["watch"] == "true";
            var rv = ctx.Request.Query["resourceVersion"].ToString();
            if (!watch)
            {
                // First list: n1 at rv 10. After the 410, n1 is gone and n2 exists, at rv 20.
                var body = lists++ == 0
                    ? $$"""{"apiVersion":"v1","kind":"NodeList","metadata":{"resourceVersion":"10"},"items":[{{Node("n1", "5")}}]}"""
                    : $$"""{"apiVersion":"v1","kind":"NodeList","metadata":{"resourceVersion":"20"},"items":[{{Node("n2", "11")}}]}""";
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(body);
                return;
            }
            lock (watchCalls) watchCalls.Add(rv);
            ctx.Response.ContentType = "application/json";
            switch (rv)
            {
                case "10":
                    // One event, then the server closes the stream (as a watch timeout does).
                    await ctx.Response.WriteAsync($$"""{"type":"ADDED","object":{{Node("n2", "11")}}}""" + "\n");
                    return;
                case "11":
                    // History compacted while we were away: the real server sends an ERROR event with 410.
                    await ctx.Response.WriteAsync("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 11 (15)","reason":"Expired","code":410}}""" + "\n");
                    return;
                default:
                    await ctx.Response.WriteAsync("""{"type":"BOOKMARK","object":{"kind":"Node","apiVersion":"v1","metadata":{"resourceVersion":"21"}}}""" + "\n");
                    await ctx.Response.Body.FlushAsync();
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = address });

        var channel = Channel.CreateUnbounded<ClusterEvent>();
        var watcher = new ResourceWatcher<V1Node, V1NodeList>("Node", (rv, w, ct) =>
            client.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, resourceVersion: rv, watch: w, cancellationToken: ct),
            channel.Writer, NullLogger.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = watcher.RunAsync(cts.Token);

        var seen = new List<string>();
        while (seen.Count < 5)
        {
            var e = await channel.Reader.ReadAsync(cts.Token);
            seen.Add(e.Synced ? "synced" : $"{(e.Deleted ? "deleted" : "upsert")} {((V1Node)e.Object!).Metadata.Name}");
        }
        while (watcher.ResourceVersion != "21") await Task.Delay(20, cts.Token);
        await cts.CancelAsync();
        await run;

        Assert.That(seen, Is.EqualTo(new[] { "upsert n1", "synced", "upsert n2", "upsert n2", "deleted n1" }));
        Assert.That(watcher.Relists, Is.EqualTo(2));
        Assert.That(watchCalls.Take(3), Is.EqualTo(new[] { "10", "11", "20" }), "resumed from the last event, then from the relist");
    }

    [Test]
    public async Task An_unexpected_failure_is_retried_rather_than_ending_the_watch()
    {
        var calls = 0;
        var channel = Channel.CreateUnbounded<ClusterEvent>();
        var watcher = new ResourceWatcher<V1Node, V1NodeList>("Node", async (rv, watch, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("a bug in a client library");
            if (watch)
            {
                await Task.Delay(Timeout.Infinite, ct);
                throw new OperationCanceledException(ct);
            }
            return new k8s.Autorest.HttpOperationResponse<V1NodeList> { Body = new V1NodeList { Metadata = new V1ListMeta { ResourceVersion = "1" }, Items = [] } };
        }, channel.Writer, NullLogger.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = watcher.RunAsync(cts.Token);
        var first = await channel.Reader.ReadAsync(cts.Token);
        Assert.That(first.Synced, Is.True, "the list was tried again after the failure");
        await cts.CancelAsync();
        await run;
    }
}
