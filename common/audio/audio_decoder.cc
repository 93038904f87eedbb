#include "common/audio/audio_decoder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "common/audio/audio_input.h"
#include "common/audio/ffmpeg_handles.h"

namespace mer::audio {

using core::Result;
using core::Status;
using internal::AvErrorText;
using internal::StatusFromAvError;

namespace {

// Audio before the requested offset that is decoded and dropped after a
// seek, so that decoders with inter-frame state (MP3 bit reservoir, AAC
// overlap, Opus pre-roll) are settled at the offset.
constexpr double kSeekPrerollSeconds = 0.5;
// Corrupt packets reported at warning level per decoder; later ones at debug.
constexpr int kMaxCorruptWarnings = 3;
// Failures of avcodec_receive_frame in a row before the decoder is given up.
constexpr int kMaxReceiveErrorsInARow = 1000;

}  // namespace

// ---- AudioDecoder -----------------------------------------------------------

struct AudioDecoder::Impl {
  std::string path;
  DecodeOptions options;
  AudioInfo info;

  std::unique_ptr<internal::Deadline> deadline;  // outlives `format`
  internal::FormatContextPtr format;
  internal::CodecContextPtr codec;
  internal::PacketPtr packet;
  internal::FramePtr frame;
  // The two conversion stages (internal::MakeMonoConverters).
  internal::SwrContextPtr downmix;
  internal::SwrContextPtr swr;
  std::vector<float> mono;  // downmix output, reused
  const float* mono_plane = nullptr;  // the plane list swr reads: &mono_plane
  int stream_index = -1;
  AVRational time_base{0, 1};
  int64_t start_ts = 0;  // stream start time (time_base units)

  // Resampler input parameters, to rebuild it if a frame's change.
  internal::ChannelLayout swr_layout;
  int swr_format = -1;
  int swr_rate = 0;

  // Converted samples that did not fit the caller's buffer.
  std::vector<float> pending;
  size_t pending_pos = 0;

  bool seeked = false;
  bool start_resolved = false;            // drop_remaining is known
  int64_t drop_remaining = 0;             // output samples before the offset
  int64_t trim_remaining = 0;             // input samples before the offset
  std::vector<const uint8_t*> in_planes;  // trimmed frame pointers, reused
  int64_t limit = std::numeric_limits<int64_t>::max();  // max_seconds
  int64_t emitted = 0;

  bool demux_done = false;    // flush packet sent to the decoder
  bool decoder_done = false;  // decoder drained
  bool finished = false;      // nothing more to produce
  int64_t frames_decoded = 0;
  int corrupt_packets = 0;
  int last_read_error = 0;
  int receive_errors_in_a_row = 0;

  Status Init(internal::AudioInput input);
  Result<size_t> Read(size_t max_samples, std::vector<float>* out);
  // Decodes one frame (or one flush step); output fitting `room` goes to
  // *out (counted in *appended), the rest to `pending`.
  Status Produce(size_t room, std::vector<float>* out, size_t* appended);

 private:
  Status NextFrame(bool* got_frame);
  void NoteCorrupt(int err, const char* where);
  void ResolveStart();
  Status EnsureResampler(const AVFrame& f, size_t room, std::vector<float>* out,
                         size_t* appended);
  Status Convert(const uint8_t** in, int in_count, size_t room,
                 std::vector<float>* out, size_t* appended, int* produced);
  // Runs the downmix stage on `in` when there is one; *in and *in_count
  // then point at its mono output.
  Status Downmix(const uint8_t*** in, int* in_count);
};

Status AudioDecoder::Impl::Init(internal::AudioInput input) {
  path = input.info.path;
  info = std::move(input.info);
  deadline = std::move(input.deadline);
  format = std::move(input.format);
  stream_index = input.stream_index;
  AVStream* stream = format->streams[stream_index];
  time_base = stream->time_base;
  start_ts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  // Demuxers with a generic index (Ogg, MP3, ...) add every packet to it,
  // growing the array by 1/16 at a time: on a long track that realloc and
  // the allocator's consolidation were ~3 % of a worker's CPU time. The
  // only seek is in Init(), before any packet is read, so a small index
  // (thinned by FFmpeg when full) loses nothing.
  format->max_index_size = 4096;
  // Only the chosen stream's packets are demuxed.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index) {
      format->streams[i]->discard = AVDISCARD_ALL;
    }
  }

  codec.reset(avcodec_alloc_context3(input.decoder));
  packet.reset(av_packet_alloc());
  frame.reset(av_frame_alloc());
  if (!codec || !packet || !frame) {
    return Status::IOError(path, "out of memory allocating the decoder");
  }
  int err = avcodec_parameters_to_context(codec.get(), stream->codecpar);
  if (err < 0) return StatusFromAvError(path, err, "bad codec parameters");
  codec->pkt_timebase = time_base;
  codec->thread_count = 1;  // parallelism is across files
  err = avcodec_open2(codec.get(), input.decoder, nullptr);
  if (err < 0) {
    return StatusFromAvError(path, err,
                             "cannot open the " + info.codec + " decoder");
  }

  const int rate = options.sample_rate;
  if (options.max_seconds > 0) {
    limit = std::max<int64_t>(1, std::llround(options.max_seconds * rate));
  }
  if (options.offset_seconds > 0) {
    const double target =
        std::max(0.0, options.offset_seconds - kSeekPrerollSeconds);
    // Timestamps coarser than a sample (Matroska's milliseconds) cannot
    // place the offset exactly: decode from the start and count samples.
    const bool exact_timestamps =
        time_base.num > 0 &&
        time_base.den >=
            static_cast<int64_t>(time_base.num) * stream->codecpar->sample_rate;
    if (target > 0 && !exact_timestamps) {
      spdlog::debug(
          "{}: time base {}/{} is coarser than a sample; decoding "
          "from the start to reach the offset",
          path, time_base.num, time_base.den);
    }
    if (target > 0 && exact_timestamps) {
      const int64_t ts =
          start_ts + av_rescale_q(std::llround(target * AV_TIME_BASE),
                                  AV_TIME_BASE_Q, time_base);
      err = av_seek_frame(format.get(), stream_index, ts, AVSEEK_FLAG_BACKWARD);
      if (err >= 0) {
        seeked = true;
      } else {
        // Not seekable (or past the end): decode from the start and drop.
        spdlog::debug("{}: seek to {:.3f} s failed ({}); decoding from start",
                      path, target, AvErrorText(err));
        err = av_seek_frame(format.get(), stream_index, start_ts,
                            AVSEEK_FLAG_BACKWARD);
        (void)err;  // at the start already for a fresh context
      }
    }
  } else {
    start_resolved = true;
  }
  return Status::Ok();
}

void AudioDecoder::Impl::NoteCorrupt(int err, const char* where) {
  ++corrupt_packets;
  const double at = packet->pts != AV_NOPTS_VALUE
                        ? (packet->pts - start_ts) * av_q2d(time_base)
                        : -1.0;
  if (corrupt_packets <= kMaxCorruptWarnings) {
    spdlog::warn("{}: skipped corrupt {} at {:.3f} s: {}", path, where, at,
                 AvErrorText(err));
  } else {
    spdlog::debug("{}: skipped corrupt {} at {:.3f} s: {}", path, where, at,
                  AvErrorText(err));
  }
}

// Called on the first decoded frame: where the offset lies relative to it.
// The gap is split into whole output samples to drop after resampling (a
// multiple of out_rate / gcd(in_rate, out_rate), so that output samples stay
// on the same time grid as a decode from the start, and the resampler has
// settled) and a remainder of input samples trimmed before resampling.
void AudioDecoder::Impl::ResolveStart() {
  start_resolved = true;
  const int64_t ts = frame->best_effort_timestamp != AV_NOPTS_VALUE
                         ? frame->best_effort_timestamp
                         : frame->pts;
  // Seconds from the start of the audio. Without a seek the first frame is
  // the start by definition (sample 0 of a full decode), whatever its
  // timestamp says.
  double frame_time = 0;
  if (seeked) {
    frame_time =
        ts != AV_NOPTS_VALUE
            ? (ts - start_ts) * av_q2d(time_base)
            : std::max(0.0, options.offset_seconds - kSeekPrerollSeconds);
  }
  const double ahead = options.offset_seconds - frame_time;
  if (ahead <= 0) {
    if (ahead < -1e-3) {
      spdlog::debug("{}: seek landed {:.3f} s after the offset", path, -ahead);
    }
    return;
  }
  const int out_rate = options.sample_rate;
  const int in_rate = frame->sample_rate > 0 ? frame->sample_rate : out_rate;
  const int64_t step = out_rate / std::gcd(in_rate, out_rate);
  drop_remaining =
      static_cast<int64_t>(std::floor(ahead * out_rate / step)) * step;
  const double lead = ahead - static_cast<double>(drop_remaining) / out_rate;
  trim_remaining = std::max<int64_t>(0, std::llround(lead * in_rate));
}

// Decodes the next frame into `frame`; *got_frame = false once drained.
Status AudioDecoder::Impl::NextFrame(bool* got_frame) {
  *got_frame = false;
  while (!decoder_done) {
    int err = avcodec_receive_frame(codec.get(), frame.get());
    if (err == 0) {
      receive_errors_in_a_row = 0;
      if (frame->nb_samples <= 0) continue;
      ++frames_decoded;
      if (!start_resolved) ResolveStart();
      *got_frame = true;
      return Status::Ok();
    }
    if (err == AVERROR_EOF) {
      decoder_done = true;
      break;
    }
    if (err != AVERROR(EAGAIN)) {
      // A decoder that keeps failing without taking input would loop here.
      if (++receive_errors_in_a_row > kMaxReceiveErrorsInARow) {
        return Status::Corruption(path,
                                  "decoder keeps failing: " + AvErrorText(err));
      }
      NoteCorrupt(err, "frame");
      continue;
    }
    receive_errors_in_a_row = 0;
    if (demux_done) {  // cannot happen after a flush packet; be safe
      decoder_done = true;
      break;
    }
    if (deadline->Passed()) return deadline->TimedOut(path);
    err = av_read_frame(format.get(), packet.get());
    if (err == AVERROR(EAGAIN)) continue;
    if (err < 0) {
      if (err != AVERROR_EOF) {
        last_read_error = err;
        spdlog::warn("{}: read error, ending the stream here: {}", path,
                     AvErrorText(err));
      }
      demux_done = true;
      err = avcodec_send_packet(codec.get(), nullptr);
      if (err < 0 && err != AVERROR_EOF) decoder_done = true;
      continue;
    }
    if (packet->stream_index == stream_index) {
      err = avcodec_send_packet(codec.get(), packet.get());
      if (err < 0 && err != AVERROR(EAGAIN)) NoteCorrupt(err, "packet");
    }
    av_packet_unref(packet.get());
  }
  return Status::Ok();
}

// (Re)builds the resampler for the frame's format, rate and channels. A
// change mid-stream first flushes the old resampler into the output.
Status AudioDecoder::Impl::EnsureResampler(const AVFrame& f, size_t room,
                                           std::vector<float>* out,
                                           size_t* appended) {
  if (swr && swr_format == f.format && swr_rate == f.sample_rate &&
      swr_layout.Equals(f.ch_layout)) {
    return Status::Ok();
  }
  if (swr) {
    int produced = 0;
    do {
      MER_RETURN_IF_ERROR(Convert(nullptr, 0, room, out, appended, &produced));
      room = 0;  // the rest goes to pending
    } while (produced > 0);
  }
  const AVChannelLayout* in_layout = &f.ch_layout;
  if (in_layout->nb_channels <= 0) in_layout = &codec->ch_layout;
  const int channels = in_layout->nb_channels;
  if (channels <= 0 || f.sample_rate <= 0) {
    return Status::Corruption(
        path, "no decodable audio (frame without " +
                  std::string(channels <= 0 ? "channels" : "sample rate") +
                  ")");
  }
  const char* what = "resampling";
  int err = internal::MakeMonoConverters(*in_layout, f.format, f.sample_rate,
                                         options.sample_rate, &downmix, &swr,
                                         &what);
  if (err < 0) {
    return StatusFromAvError(path, err, std::string("cannot set up ") + what);
  }
  err = swr_layout.CopyFrom(f.ch_layout);
  if (err < 0) return StatusFromAvError(path, err, "cannot set up resampling");
  swr_format = f.format;
  swr_rate = f.sample_rate;
  return Status::Ok();
}

Status AudioDecoder::Impl::Downmix(const uint8_t*** in, int* in_count) {
  if (!downmix) return Status::Ok();
  // Same rate, no filter: one output sample per input sample.
  mono.resize(static_cast<size_t>(*in_count));
  uint8_t* o = reinterpret_cast<uint8_t*>(mono.data());
  const int got = swr_convert(downmix.get(), &o, *in_count, *in, *in_count);
  if (got < 0) return StatusFromAvError(path, got, "downmix failed");
  mono_plane = mono.data();
  *in = reinterpret_cast<const uint8_t**>(&mono_plane);
  *in_count = got;
  return Status::Ok();
}

// Runs swr_convert on `in` (null: flush). Output goes straight into *out
// when it fits in `room`, else into `pending`; samples before the offset
// are dropped. *produced counts what swr returned (before dropping).
Status AudioDecoder::Impl::Convert(const uint8_t** in, int in_count,
                                   size_t room, std::vector<float>* out,
                                   size_t* appended, int* produced) {
  *produced = 0;
  int bound = swr_get_out_samples(swr.get(), in_count);
  if (bound < 0) return StatusFromAvError(path, bound, "resampling failed");
  if (in == nullptr) bound += 256;  // flush: room for the filter tail
  if (bound == 0) return Status::Ok();
  const bool direct = static_cast<size_t>(bound) <= room;
  std::vector<float>* dst = direct ? out : &pending;
  const size_t base = dst->size();  // pending is empty here when !direct
  dst->resize(base + static_cast<size_t>(bound));
  uint8_t* o = reinterpret_cast<uint8_t*>(dst->data() + base);
  const int got = swr_convert(swr.get(), &o, bound, in, in_count);
  if (got < 0) {
    dst->resize(base);
    return StatusFromAvError(path, got, "resampling failed");
  }
  *produced = got;
  size_t keep_from = 0;
  if (drop_remaining > 0) {
    keep_from = static_cast<size_t>(std::min<int64_t>(drop_remaining, got));
    drop_remaining -= static_cast<int64_t>(keep_from);
  }
  const size_t kept = static_cast<size_t>(got) - keep_from;
  if (keep_from > 0 && kept > 0) {
    std::memmove(dst->data() + base, dst->data() + base + keep_from,
                 kept * sizeof(float));
  }
  dst->resize(base + kept);
  if (direct) {
    *appended += kept;
    emitted += static_cast<int64_t>(kept);
  }
  return Status::Ok();
}

// Decodes one frame (or one flush step) and converts it.
Status AudioDecoder::Impl::Produce(size_t room, std::vector<float>* out,
                                   size_t* appended) {
  bool got_frame = false;
  MER_RETURN_IF_ERROR(NextFrame(&got_frame));
  int produced = 0;
  if (got_frame) {
    const uint8_t** in = const_cast<const uint8_t**>(frame->extended_data);
    int count = frame->nb_samples;
    if (trim_remaining > 0) {
      const int trim =
          static_cast<int>(std::min<int64_t>(trim_remaining, count));
      trim_remaining -= trim;
      count -= trim;
      if (count == 0) {
        av_frame_unref(frame.get());
        return Status::Ok();
      }
      const auto fmt = static_cast<AVSampleFormat>(frame->format);
      const int channels = frame->ch_layout.nb_channels;
      const bool planar = av_sample_fmt_is_planar(fmt);
      const int planes = planar ? channels : 1;
      const size_t skip = static_cast<size_t>(trim) *
                          av_get_bytes_per_sample(fmt) *
                          (planar ? 1 : channels);
      in_planes.resize(static_cast<size_t>(planes));
      for (int p = 0; p < planes; ++p) in_planes[p] = in[p] + skip;
      in = in_planes.data();
    }
    MER_RETURN_IF_ERROR(EnsureResampler(*frame, room, out, appended));
    MER_RETURN_IF_ERROR(Downmix(&in, &count));
    MER_RETURN_IF_ERROR(Convert(
        in, count, pending.empty() ? room - std::min(room, *appended) : 0, out,
        appended, &produced));
    av_frame_unref(frame.get());
    return Status::Ok();
  }
  if (frames_decoded == 0) {
    if (seeked && info.duration_seconds > 0 &&
        options.offset_seconds >= info.duration_seconds) {
      finished = true;  // the window starts after the end: empty, not corrupt
      return Status::Ok();
    }
    std::string why = "no decodable audio";
    if (last_read_error != 0) why += " (" + AvErrorText(last_read_error) + ")";
    return Status::Corruption(path, why);
  }
  if (swr) {
    MER_RETURN_IF_ERROR(Convert(nullptr, 0, room, out, appended, &produced));
    if (produced > 0) return Status::Ok();
  }
  finished = true;
  if (corrupt_packets > kMaxCorruptWarnings) {
    spdlog::warn("{}: skipped {} corrupt packets in all", path,
                 corrupt_packets);
  }
  return Status::Ok();
}

Result<size_t> AudioDecoder::Impl::Read(size_t max_samples,
                                        std::vector<float>* out) {
  if (max_samples == 0 || out == nullptr) {
    return Status::InvalidArgument(path, "Read needs max_samples > 0 and out");
  }
  size_t appended = 0;
  for (;;) {
    const size_t want = max_samples - appended;
    const uint64_t window = static_cast<uint64_t>(limit - emitted);
    const size_t room = window < want ? static_cast<size_t>(window) : want;
    if (room == 0) break;
    if (pending_pos < pending.size()) {
      const size_t n = std::min(room, pending.size() - pending_pos);
      out->insert(out->end(), pending.begin() + pending_pos,
                  pending.begin() + pending_pos + n);
      pending_pos += n;
      appended += n;
      emitted += static_cast<int64_t>(n);
      continue;
    }
    pending.clear();
    pending_pos = 0;
    if (finished) break;
    size_t produced = 0;  // appended to *out directly by this step
    MER_RETURN_IF_ERROR(Produce(room, out, &produced));
    appended += produced;
  }
  if (emitted >= limit) finished = true;
  return appended;
}

AudioDecoder::AudioDecoder(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
AudioDecoder::~AudioDecoder() = default;

Result<std::unique_ptr<AudioDecoder>> AudioDecoder::Open(
    const std::string& path, const DecodeOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate().WithContext(path));
  MER_ASSIGN_OR_RETURN(
      internal::AudioInput input,
      internal::OpenAudioInput(path, /*need_decoder=*/true,
                               options.timeout_seconds));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  MER_RETURN_IF_ERROR(impl->Init(std::move(input)));
  // Decode up to the first output so that a file without usable audio
  // fails here; the samples wait in `pending`.
  while (impl->pending.empty() && !impl->finished) {
    size_t unused = 0;
    MER_RETURN_IF_ERROR(impl->Produce(0, &impl->pending, &unused));
  }
  return std::unique_ptr<AudioDecoder>(new AudioDecoder(std::move(impl)));
}

const AudioInfo& AudioDecoder::info() const { return impl_->info; }
const DecodeOptions& AudioDecoder::options() const { return impl_->options; }
int AudioDecoder::corrupt_packets_skipped() const {
  return impl_->corrupt_packets;
}

Result<size_t> AudioDecoder::Read(size_t max_samples, std::vector<float>* out) {
  return impl_->Read(max_samples, out);
}

}  // namespace mer::audio
