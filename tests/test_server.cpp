// maskwatch serve over real sockets on 127.0.0.1: every route, every limit's
// status and error code, the token, and the metrics moving.
#include "server_harness.h"

using namespace mw;
using namespace server_harness;

TEST(Server, PredictsFromARawBodyAFormAndBoxes) {
  Running s(options());
  auto c = s.client();
  const std::string jpeg = photo();
  auto r = c.Post("/v1/predict?boxes=79,105,109,142;185,100,226,144", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json body = json::parse(r->body);
  ASSERT_EQ(body["faces"].size(), 2u);
  EXPECT_EQ(body["faces"][0]["box"], json({79, 105, 109, 142}));
  EXPECT_EQ(body["faces"][0]["scores"].size(), 3u);
  EXPECT_FALSE(body["whole_image"].get<bool>());
  EXPECT_GT(body["timings_ms"]["total"].get<double>(), 0);
  EXPECT_EQ(body["image"]["width"], 512);

  r = c.Post("/v1/predict?whole_image=1", jpeg, "image/jpeg");  // the photo is one face: its largest
  ASSERT_TRUE(r && r->status == 200);
  body = json::parse(r->body);
  ASSERT_EQ(body["faces"].size(), 1u);
  EXPECT_TRUE(body["whole_image"].get<bool>());
  EXPECT_EQ(body["faces"][0]["framing"], "face") << r->body;
  EXPECT_LT(body["faces"][0]["box"][2].get<double>() - body["faces"][0]["box"][0].get<double>(), 256) << r->body;
  r = c.Post("/v1/predict?whole_image=1&whole_image_rule=image", jpeg, "image/jpeg");  // the whole photo
  ASSERT_TRUE(r && r->status == 200);
  body = json::parse(r->body);
  EXPECT_EQ(body["faces"][0]["framing"], "image") << r->body;
  EXPECT_EQ(body["faces"][0]["box"], json({0, 0, 512, 366}));
  r = c.Post("/v1/predict?whole_image=1&whole_image_rule=middle", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("whole_image_rule"), std::string::npos) << r->body;

  r = c.Post("/v1/predict", jpeg, "image/jpeg");  // no boxes: the detector finds the faces
  ASSERT_TRUE(r && r->status == 200);
  body = json::parse(r->body);
  EXPECT_TRUE(body["detected"].get<bool>());
  ASSERT_GE(body["faces"].size(), 2u) << r->body;  // maksssksksss0: two unmasked faces the detector finds
  EXPECT_GT(body["faces"][0]["face_score"].get<double>(), 0.5);

  r = c.Post("/v1/predict?whole_image=1&boxes=1,2,30,40", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  httplib::MultipartFormDataItems form = {{"image", jpeg, "photo.jpg", "image/jpeg"}, {"boxes", kBox, "", ""}};
  r = c.Post("/v1/predict", form);
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  EXPECT_EQ(json::parse(r->body)["faces"].size(), 1u);

  // min_confidence (query or form): a face less sure than it is answered "unsure", its guess kept.
  r = c.Post("/v1/predict?min_confidence=1&boxes=79,105,109,142", jpeg, "image/jpeg");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  json face = json::parse(r->body)["faces"][0];
  EXPECT_EQ(face["label"], "unsure");
  EXPECT_TRUE(face["scores"].contains(face["guess"].get<std::string>())) << face;
  form.push_back({"min_confidence", "0", "", ""});
  r = c.Post("/v1/predict", form);
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_NE(json::parse(r->body)["faces"][0]["label"], "unsure");
  EXPECT_FALSE(json::parse(r->body)["faces"][0].contains("guess"));

  r = c.Post("/v1/predict?annotate=1&boxes=79,105,109,142", jpeg, "image/jpeg");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(r->body.substr(0, 3), std::string("\xFF\xD8\xFF", 3));
  EXPECT_NE(r->body, jpeg);
}

TEST(Server, ModelsBenchmarksHealthAndMetrics) {
  Running s(options());
  auto c = s.client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r && r->status == 200);
  r = c.Get("/readyz");
  ASSERT_TRUE(r && r->status == 200);
  const std::string id = json::parse(r->body)["model"];
  EXPECT_EQ(id.size(), 16u);
  r = c.Get("/v1/models");
  ASSERT_TRUE(r && r->status == 200);
  json models = json::parse(r->body);
  EXPECT_EQ(models["loaded"]["id"], id);
  EXPECT_EQ(models["loaded"]["arch"], "resnet18");
  EXPECT_EQ(models["models"].size(), 1u);
  r = c.Get("/v1/benchmarks?size=5");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_TRUE(json::parse(r->body)["records"].empty());
  r = c.Get("/v1/benchmarks?size=x");
  EXPECT_EQ(r->status, 400);
  r = c.Get("/no/such/route");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code(r), "not_found");

  const std::string before = c.Get("/metrics")->body;
  ASSERT_TRUE(c.Post("/v1/predict?boxes=79,105,109,142", photo(), "image/jpeg"));
  ASSERT_TRUE(c.Post("/v1/predict", "", "image/gif"));
  r = c.Get("/metrics");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string count = "maskwatch_http_request_duration_seconds_count{route=\"/v1/predict\"}";
  const std::string text = metrics_when(c, count, 2);
  const std::string ok = "maskwatch_http_requests_total{route=\"/v1/predict\",status=\"200\"}";
  EXPECT_EQ(metric(before, ok), -1);
  EXPECT_EQ(metric(text, ok), 1) << text;
  EXPECT_EQ(metric(text, "maskwatch_http_requests_total{route=\"/v1/predict\",status=\"415\"}"), 1);
  EXPECT_EQ(metric(text, count), 2);
  EXPECT_EQ(metric(text, "maskwatch_http_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"+Inf\"}"), 2);
  long faces = 0;
  for (const auto& label : class_names())
    faces += std::max(0L, metric(text, "maskwatch_faces_total{label=\"" + label + "\"}"));
  EXPECT_EQ(faces, 1);
  EXPECT_EQ(metric(text, "maskwatch_http_requests_in_flight"), 0);
  EXPECT_NE(text.find("\nmaskwatch_model_load_seconds "), std::string::npos);
}

TEST(Server, RefusesWhatIsOverALimitOrMalformed) {
  ServeOptions o = options();
  o.max_body_bytes = 200'000;
  o.max_pixels = 100'000;  // the photo is 512x366 = 187,392
  Running s(o);
  auto c = s.client();
  const std::string jpeg = photo();
  auto expect = [&](const httplib::Result& r, int status, const std::string& code) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(error_code(r), code);
  };
  expect(c.Post("/v1/predict", jpeg, "image/jpeg"), 413, "too_large");                       // pixels
  expect(c.Post("/v1/predict", std::string(300'000, 'x'), "image/jpeg"), 413, "too_large");  // bytes
  expect(c.Post("/v1/predict", jpeg, "image/gif"), 415, "unsupported_type");
  expect(c.Post("/v1/predict", "GIF89a....", "image/jpeg"), 415, "unsupported_type");
  expect(c.Post("/v1/predict", jpeg.substr(0, 600), "image/jpeg"), 400, "bad_request");  // truncated
  expect(c.Post("/v1/predict", "", "image/jpeg"), 400, "bad_request");                   // 0 bytes
  expect(c.Post("/v1/predict?boxes=1,2,x,4", jpeg, "image/jpeg"), 400, "bad_request");
  expect(c.Post("/v1/predict?boxes=9,9,1,1", jpeg, "image/jpeg"), 400, "bad_request");
  expect(c.Post("/v1/predict?min_confidence=1.5", jpeg, "image/jpeg"), 400, "bad_request");
  expect(c.Post("/v1/predict", "--zz\r\nnot a form", "multipart/form-data; boundary=zz"), 400, "bad_request");
  httplib::MultipartFormDataItems no_image = {{"boxes", kBox, "", ""}};
  expect(c.Post("/v1/predict", no_image), 400, "bad_request");

  // A 100 MB body is refused from its Content-Length, before it is sent.
  RawClient raw(s.port);
  raw.send(predict_headers(100u << 20));
  const std::string reply = raw.receive();
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("too_large"), std::string::npos) << reply;
}

TEST(Server, RefusesAtOnceWhenEverySlotIsTakenAndTimesOut) {
  ServeOptions o = options();
  o.max_in_flight = 1;
  o.timeout_ms = 300;
  o.retry_after_s = 3;
  Running s(o);
  auto c = s.client();
  const std::string jpeg = photo();
  {
    // A slow client's body holds its connection, not the one slot: a photo beside it is answered.
    RawClient slow(s.port);
    slow.send(predict_headers(jpeg.size()) + jpeg.substr(0, 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = c.Post(std::string("/v1/predict?boxes=") + kBox, jpeg, "image/jpeg");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    // Its time runs from its headers: the rest of the body, late, gets 504.
    std::this_thread::sleep_for(std::chrono::milliseconds(o.timeout_ms));
    slow.send(jpeg.substr(100));
    const std::string reply = slow.receive();
    EXPECT_EQ(reply.rfind("HTTP/1.1 504", 0), 0u) << reply.substr(0, 200);
    EXPECT_NE(reply.find("\"timeout\""), std::string::npos);
  }
  // Photos sent at once, each detected (tens of ms): those that find the slot taken get 503 at once.
  constexpr int kAtOnce = 6;
  struct Answer {
    int status = 0;
    std::string code, retry_after;
    double ms = 0;
  };
  std::vector<Answer> answers(kAtOnce);
  auto any_refused = [&] {
    return std::any_of(answers.begin(), answers.end(), [](auto& a) { return a.status == 503; });
  };
  for (int round = 0; round < 5 && !any_refused(); ++round) {
    std::vector<std::thread> clients;
    for (auto& a : answers)
      clients.emplace_back([&] {
        auto own = s.client();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = own.Post("/v1/predict", jpeg, "image/jpeg");
        a.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (r) a = {r->status, error_code(r), r->get_header_value("Retry-After"), a.ms};
      });
    for (auto& t : clients) t.join();
  }
  int refused = 0;
  for (const auto& a : answers) {
    EXPECT_TRUE(a.status == 200 || a.status == 503) << a.status;
    if (a.status != 503) continue;
    ++refused;
    EXPECT_EQ(a.code, "overloaded");
    EXPECT_EQ(a.retry_after, "3");
    EXPECT_LT(a.ms, 250);
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(c.Get("/healthz")->status, 200);  // probes are never refused
  // The slot is free again once the work in flight has ended.
  httplib::Result r = c.Post("/v1/predict", jpeg, "image/jpeg");
  for (int i = 0; i < 100 && r && r->status == 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r = c.Post("/v1/predict", jpeg, "image/jpeg");
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST(Server, AsksForTheTokenOnEveryRouteButHealthz) {
  ServeOptions o = options();
  o.token = "s3cret-token";
  Running s(o);
  auto c = s.client();
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  for (const char* path : {"/readyz", "/metrics", "/v1/models", "/v1/benchmarks"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(error_code(r), "unauthorized") << path;
  }
  auto r = c.Post("/v1/predict", photo(), "image/jpeg");
  EXPECT_EQ(r->status, 401);
  c.set_bearer_token_auth("wrong-token!");
  EXPECT_EQ(c.Get("/v1/models")->status, 401);
  c.set_bearer_token_auth("s3cret-token");
  EXPECT_EQ(c.Get("/v1/models")->status, 200);
  EXPECT_EQ(c.Post("/v1/predict", photo(), "image/jpeg")->status, 200);
}

TEST(Server, RunsOneBenchmarkAtATime) {
  Running s(options());
  auto c = s.client();
  auto r = c.Post("/v1/benchmarks", R"({"sizes": [25], "seed": 3})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string id = json::parse(r->body)["id"];
  auto second = c.Post("/v1/benchmarks", R"({"sizes": [5]})", "application/json");
  if (json::parse(c.Get("/v1/benchmarks/runs/" + id)->body)["status"] == "running") {
    EXPECT_EQ(second->status, 409);
    EXPECT_EQ(error_code(second), "conflict");
  }
  const json status = wait_for_run(c, id);
  ASSERT_EQ(status["status"], "done") << status.dump();
  EXPECT_EQ(status["report"]["sets"][0]["set_size"], 25);
  r = c.Get("/v1/benchmarks?size=25");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(json::parse(r->body)["records"].size(), 1u);
  EXPECT_EQ(c.Get("/v1/benchmarks/runs/run-999")->status, 404);
  EXPECT_EQ(c.Post("/v1/benchmarks", R"({"sizes": [0]})", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/v1/benchmarks", "{not json", "application/json")->status, 400);
}

TEST(Server, BenchmarkDetectsTheFacesWhenAsked) {
  Running s(options());
  auto c = s.client();
  auto bad = c.Post("/v1/benchmarks", R"({"sizes": [5], "detect": "yes"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("detect"), std::string::npos) << bad->body;
  auto r = c.Post("/v1/benchmarks", R"({"sizes": [5], "detect": true})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string id = json::parse(r->body)["id"];
  const json status = wait_for_run(c, id);
  ASSERT_EQ(status["status"], "done") << status.dump();
  const json& set = status["report"]["sets"][0];
  EXPECT_EQ(set["mode"], "detect");
  EXPECT_GT(set["objects"].get<int>(), 0) << set.dump();
  EXPECT_GT(set["face_recall"].get<double>(), 0) << set.dump();
  EXPECT_TRUE(set["map_50"].is_number()) << set.dump();
}
