// MpiEnvironment: RAII for MPI_Init_thread / MPI_Finalize (CONVENTIONS rule
// 10: finalize only if it initialised).
//
//   MER_ASSIGN_OR_RETURN(auto env, comm::MpiEnvironment::Init(&argc, &argv));
//   if (env->rank() == 0) ...
//
// Threading: MPI is initialised with MPI_THREAD_FUNNELED. One thread per rank
// (the thread that called Init) makes every MPI call; decode and compute
// threads never touch MPI (CONVENTIONS rule 11).
//
// Started without mpirun/srun the binary runs as an MPI singleton: size() is
// 1 and rank() is 0, so a laptop user needs no launcher.
//
// Ownership: exactly one MpiEnvironment may exist per process, and it must
// outlive every Communicator (their MPI_Comm handles are freed before
// MPI_Finalize). Not thread-safe; all accessors are const and cheap.
#ifndef MER_COMMON_COMM_MPI_ENVIRONMENT_H_
#define MER_COMMON_COMM_MPI_ENVIRONMENT_H_

#include <memory>
#include <string>

#include "common/core/result.h"

namespace mer::comm {

class MpiEnvironment {
 public:
  // Initialises MPI unless it already is (then this object only reads the
  // world's shape and will not finalise). `argc`/`argv` may be null.
  // Fails when MPI was already finalised in this process, when
  // MPI_Init_thread fails, or when the library cannot give FUNNELED.
  static core::Result<std::unique_ptr<MpiEnvironment>> Init(int* argc,
                                                            char*** argv);

  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  // Calls MPI_Finalize when this object initialised MPI.
  ~MpiEnvironment();

  // Rank and size in MPI_COMM_WORLD.
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank and size among the ranks sharing this node's memory
  // (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED); used to pick a GPU.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  // The least world rank on this node (its local rank 0); 0 where rank 0
  // shares this node.
  int local_first_rank() const { return local_first_rank_; }
  // MPI_Get_processor_name, usually the host name.
  const std::string& processor_name() const { return processor_name_; }
  // The thread level MPI provided (>= MPI_THREAD_FUNNELED).
  int thread_level() const { return thread_level_; }
  // True when this object called MPI_Init_thread (and will finalise).
  bool owns_mpi() const { return owns_mpi_; }

 private:
  MpiEnvironment() = default;

  bool owns_mpi_ = false;
  int thread_level_ = 0;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  int local_first_rank_ = 0;
  std::string processor_name_;
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_MPI_ENVIRONMENT_H_
