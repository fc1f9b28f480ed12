using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Binding;
using Quorum.Benchmarks.Simulation;
using Quorum.Scheduling;

namespace Quorum.Tests.Binding;

/// <summary>The binder against the API server's answers to pods/binding, over HTTP with the real client.</summary>
public class KubernetesPodBinderTests
{
    [Test]
    public async Task Bound_then_409_already_assigned_then_404_gone()
    {
        var bodies = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        var bound = new Dictionary<string, string>();
        app.MapPost("/api/v1/namespaces/{ns}/pods/{name}/binding", async (string ns, string name, HttpContext ctx) =>
        {
            var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            lock (bodies) bodies.Add(body);
            ctx.Response.ContentType = "application/json";
            if (name == "gone")
            {
                ctx.Response.StatusCode = 404;
                await ctx.Response.WriteAsync("""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"gone\" not found","reason":"NotFound","code":404}""");
                return;
            }
            if (bound.TryGetValue(name, out var node))
            {
                ctx.Response.StatusCode = 409;
                await ctx.Response.WriteAsync($$"""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pod {{name}} is already assigned to node \"{{node}}\"","reason":"Conflict","code":409}""");
                return;
            }
            bound[name] = "n1";
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync("""{"kind":"Status","apiVersion":"v1","status":"Success","code":201}""");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = address });
        var binder = new KubernetesPodBinder(client);

        var first = await binder.BindAsync(Pods.Gpu("ml", "w0", 8), "n1", CancellationToken.None);
        var second = await binder.BindAsync(Pods.Gpu("ml", "w0", 8), "n2", CancellationToken.None);
        var gone = await binder.BindAsync(Pods.Gpu("ml", "gone", 8), "n1", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Outcome, Is.EqualTo(BindOutcome.Bound));
            Assert.That(second.Outcome, Is.EqualTo(BindOutcome.AlreadyBound));
            Assert.That(second.Message, Does.Contain("already assigned"));
            Assert.That(gone.Outcome, Is.EqualTo(BindOutcome.PodGone));
            Assert.That(bodies[0], Does.Contain("\"target\"").And.Contain("\"name\":\"n1\"").And.Contain("\"kind\":\"Node\""));
        });
    }
}
