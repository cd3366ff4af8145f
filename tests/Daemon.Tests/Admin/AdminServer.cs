using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Admin;

/// <summary>The admin scheme and policy on a real Kestrel server with one control route (POST /control) and one read route (GET /read).</summary>
internal sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminServer(WebApplication app, HttpClient http)
    {
        _app = app;
        Http = http;
    }

    public HttpClient Http { get; }

    public static async Task<AdminServer> StartAsync(AdminOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(options);
        builder.Services.AddAdminAuthentication();
        var app = builder.Build();
        app.UseAdminAuthentication();
        app.MapPost("/control", () => "done").RequireAuthorization(AdminAuthentication.ControlPolicy);
        app.MapGet("/read", () => "open");
        await app.StartAsync();
        return new AdminServer(app, new HttpClient { BaseAddress = new Uri(app.Urls.Single()) });
    }

    public async Task<HttpResponseMessage> PostAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/control");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }
}
