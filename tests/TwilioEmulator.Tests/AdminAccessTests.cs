using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>The emulator listening on every interface, as a misconfigured deployment would.</summary>
public sealed class AllInterfacesEmulatorFixture : EmulatorFixture
{
    protected override IEnumerable<string> Settings(WebhookServer webhooks) => ["--urls=http://0.0.0.0:0"];

    public int Port => new Uri(BaseUrl).Port;
}

/// <summary>The admin API and page answer only callers on the emulator's machine; Twilio's own API stays reachable.</summary>
public sealed class AdminAccessTests(AllInterfacesEmulatorFixture emulator) : IClassFixture<AllInterfacesEmulatorFixture>
{
    [Theory]
    [InlineData("GET", "/admin/state")]
    [InlineData("POST", "/admin/calls")]
    [InlineData("PUT", "/admin/faults")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/admin.js")]
    public async Task A_caller_from_another_address_is_refused_and_one_on_this_machine_is_not(string method, string path)
    {
        using var remote = new HttpClient { BaseAddress = new Uri($"http://{NetworkAddress()}:{emulator.Port}") };
        using var local = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{emulator.Port}") };

        using var refused = await remote.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        using var served = await local.SendAsync(new HttpRequestMessage(HttpMethod.Get, method == "GET" ? path : "/admin/state"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task The_rest_api_answers_a_caller_from_another_address()
    {
        using var remote = new HttpClient { BaseAddress = new Uri($"http://{NetworkAddress()}:{emulator.Port}") };
        remote.DefaultRequestHeaders.Authorization = emulator.Rest.DefaultRequestHeaders.Authorization;

        using var response = await remote.GetAsync($"{EmulatorFixture.AccountPath}/Calls.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>An address of this machine that is not loopback: a request to it arrives from that address.</summary>
    private static IPAddress NetworkAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(network => network.OperationalStatus == OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
        ?? throw new InvalidOperationException("This machine has no network address besides loopback: the test needs one.");
}
