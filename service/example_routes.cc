// POST /api/v1/by-example: the emotion of an uploaded clip and the nearest
// tracks by embedding and in V-A (service/by_example.h does the analysis).
#include <cstdio>
#include <vector>

#include "service/http_util.h"
#include "service/service_impl.h"
#include "storage/query_json.h"

namespace mer::service {
namespace {

namespace query = storage::query;
using namespace http;  // NOLINT: the routes' own helpers

}  // namespace

void Service::Impl::InstallExampleRoutes() {
  httplib::Server& s = server;
  storage::EmotionIndex& idx = *index;
  // A content reader: the body is read here whatever its Content-Type (a
  // plain handler would have httplib parse a form-encoded upload).
  s.Post("/api/v1/by-example", [this, &idx](const httplib::Request& req,
                                            httplib::Response& res,
                                            const httplib::ContentReader& reader) {
         try {
           if (!example) {
             throw HttpError{400, "search by example needs a model: start mer serve with --model"};
           }
           const size_t limit = QueryLimit(req, "limit", 10);
           const size_t max_bytes = options.max_body_bytes;
           if (req.has_header("Content-Length") &&
               std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) >
                   max_bytes) {
             // Let httplib read past the limit as it does for other routes
             // (it then skips the body), so clients see the 413.
             reader([](const char*, size_t) { return true; });
             throw HttpError{413, "the upload is larger than " +
                                      std::to_string(max_bytes >> 20) +
                                      " MiB (mer serve --max-upload-mb)"};
           }
           std::string body, field;
           bool have_file = false;
           bool read = false;
           if (req.is_multipart_form_data()) {
             read = reader(
                 [&](const httplib::MultipartFormData& part) {
                   field = part.name;
                   have_file = have_file || field == "file";
                   return true;
                 },
                 [&](const char* data, size_t n) {
                   if (field == "file") body.append(data, n);
                   return true;
                 });
           } else {
             read = reader([&](const char* data, size_t n) {
               body.append(data, n);
               return true;
             });
           }
           if (read && req.is_multipart_form_data() && !have_file) {
             throw HttpError{400, "multipart upload without a 'file' field"};
           }
           if (!read) {
             throw HttpError{body.size() >= max_bytes ? 413 : 400,
                             "the upload could not be read whole"};
           }
           Clip clip;
           std::string error;
           const int status = example->Analyze(body, &clip, &error);
           if (status != 200) throw HttpError{status, error};
           const storage::TrackResult& t = clip.track;
           json c = query::TrackJson(t);
           for (const char* k : {"track_id", "path", "model_id", "indexed_at_unix", "tags"}) {
             c.erase(k);
           }
           // Hits with their rank and score, e.g. "#2 cosine 0.912 to the clip".
           auto ranked = [](const std::vector<query::Hit>& hits, const char* format) {
             json out = json::array();
             for (size_t i = 0; i < hits.size(); ++i) {
               char why[64];
               std::snprintf(why, sizeof why, format, i + 1, hits[i].score);
               json j = query::HitJson(hits[i]);
               j["why"] = why;
               out.push_back(std::move(j));
             }
             return out;
           };
           const json results =
               t.embedding.empty()
                   ? json::array()
                   : ranked(OrThrow(idx.SimilarTo(t.embedding, limit)), "#%zu cosine %.3f to the clip");
           const json near = ranked(OrThrow(idx.NearestVa(t.valence, t.arousal, limit)),
                                    "#%zu distance %.3f from the clip");
           SendJson(res, {{"clip", c}, {"results", results}, {"nearest_va", near}});
         } catch (const HttpError& e) {
           SendError(res, e.status, e.message);
         }
       });

}

}  // namespace mer::service
